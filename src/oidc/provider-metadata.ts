import * as oauth from "oauth4webapi";
import type { OidcProvider } from "../config/oidc-providers";
import { AuthError } from "../errors";
import { BoundedCache } from "../util/bounded-cache";
import { GOOGLE_ISSUER, GOOGLE_ISSUER_HOST } from "../util/issuer-rules";
import {
  cachedDiscovery,
  discoverOpenIdIssuer,
  httpOptionsFor,
  remoteKeySet,
  type RemoteKeySet,
} from "./remote-issuer";

/** A provider as discovered: its metadata, our client there, its keys. */
export interface Provider {
  /** The configured provider this is (its id, label, client, and whether it is Google's). */
  config: OidcProvider;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  /** oauth4webapi options: plain http only for a loopback issuer (the config allows nothing else). */
  httpOptions: { [oauth.allowInsecureRequests]?: boolean };
  /** The provider's signing keys, fetched on demand and cached by jose (bounded, with cooldown). */
  jwks: RemoteKeySet;
  /** Every `iss` value the provider uses: Google signs with both forms. */
  issuers: string[];
}

/** Providers per isolate: OIDC_PROVIDERS allows 16; more only in tests that vary the configuration. */
const discovered = new BoundedCache<Promise<Provider>>(20);

async function discover(config: OidcProvider): Promise<Provider> {
  const issuerUrl = new URL(config.issuer);
  let discovery: Awaited<ReturnType<typeof discoverOpenIdIssuer>>;
  try {
    discovery = await discoverOpenIdIssuer(issuerUrl);
  } catch (error) {
    throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "discovery failed", cause: error });
  }
  let as = discovery.metadata;
  if (!as.authorization_endpoint || !as.token_endpoint) {
    throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "discovery document incomplete" });
  }
  const issuers = [as.issuer];
  if (as.issuer === GOOGLE_ISSUER) {
    issuers.push(GOOGLE_ISSUER_HOST);
    // Google's ID tokens may carry the bare host form; oauth4webapi exposes this hook for
    // exactly such providers (openid-client uses it the same way).
    const hook = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;
    const expected = (result: { claims: { iss?: unknown } }) =>
      result.claims.iss === GOOGLE_ISSUER_HOST ? GOOGLE_ISSUER_HOST : GOOGLE_ISSUER;
    as = { ...as, [hook]: expected };
  }
  const methods = as.token_endpoint_auth_methods_supported;
  // RFC 8414: when the list is absent, client_secret_basic is the default.
  const clientAuth =
    !methods || methods.includes("client_secret_basic")
      ? oauth.ClientSecretBasic(config.clientSecret)
      : oauth.ClientSecretPost(config.clientSecret);
  return {
    config,
    as,
    client: { client_id: config.clientId },
    clientAuth,
    httpOptions: httpOptionsFor(issuerUrl),
    jwks: remoteKeySet(discovery.jwksUri),
    issuers,
  };
}

/**
 * The provider's metadata, discovered once per isolate and refreshed hourly. A failure is never
 * kept: a sign-in is a person waiting, and their next try should reach the provider again.
 */
export function getProvider(config: OidcProvider, nowMs: number): Promise<Provider> {
  const key = `${config.issuer}\n${config.clientId}\n${config.clientSecret}`;
  return cachedDiscovery(discovered, key, nowMs, 0, () => discover(config));
}

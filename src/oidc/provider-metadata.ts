import { createRemoteJWKSet } from "jose";
import * as oauth from "oauth4webapi";
import { GOOGLE_ISSUER, type Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { BoundedCache, cachedPromise } from "../util/bounded-cache";

/** How long discovery metadata is kept per isolate. Failures are never kept. */
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/** How long one call to the provider may take before the sign-in fails with 502. */
export const PROVIDER_TIMEOUT_MS = 5_000;

export interface Provider {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  /** oauth4webapi options: plain http only for a loopback issuer (the config allows nothing else). */
  httpOptions: { [oauth.allowInsecureRequests]?: boolean };
  /** The provider's signing keys, fetched on demand and cached by jose (bounded, with cooldown). */
  jwks: ReturnType<typeof createRemoteJWKSet>;
  /** Every `iss` value the provider uses: Google signs with both forms. */
  issuers: string[];
}

/** Providers per isolate: one in production; a few in tests that vary the configuration. */
const discovered = new BoundedCache<Promise<Provider>>(4);

async function discover(config: Config): Promise<Provider> {
  const issuerUrl = new URL(config.providerIssuer);
  const insecure = issuerUrl.protocol === "http:";
  const httpOptions = insecure ? { [oauth.allowInsecureRequests]: true } : {};
  let as: oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(issuerUrl, { ...httpOptions, algorithm: "oidc", signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
    as = await oauth.processDiscoveryResponse(issuerUrl, response);
  } catch {
    throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "discovery failed" });
  }
  if (!as.authorization_endpoint || !as.token_endpoint || !as.jwks_uri) {
    throw new AuthError("ERR_PROVIDER_UNAVAILABLE", { detail: "discovery document incomplete" });
  }
  const jwksUri = new URL(as.jwks_uri);
  const issuers = [as.issuer];
  if (as.issuer === GOOGLE_ISSUER) {
    issuers.push("accounts.google.com");
    // Google's ID tokens may carry the bare host form; oauth4webapi exposes this hook for
    // exactly such providers (openid-client uses it the same way).
    const hook = (oauth as unknown as { _expectedIssuer: symbol })._expectedIssuer;
    as = { ...as, [hook]: (result: { claims: { iss?: unknown } }) => (result.claims.iss === "accounts.google.com" ? "accounts.google.com" : GOOGLE_ISSUER) };
  }
  const methods = as.token_endpoint_auth_methods_supported;
  // RFC 8414: when the list is absent, client_secret_basic is the default.
  const clientAuth = !methods || methods.includes("client_secret_basic")
    ? oauth.ClientSecretBasic(config.clientSecret)
    : oauth.ClientSecretPost(config.clientSecret);
  return {
    as,
    client: { client_id: config.clientId },
    clientAuth,
    httpOptions,
    jwks: createRemoteJWKSet(jwksUri, { timeoutDuration: PROVIDER_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }),
    issuers,
  };
}

/** The provider's metadata, discovered once per isolate and refreshed hourly; failures are never kept. */
export function getProvider(config: Config, nowMs: number): Promise<Provider> {
  const key = `${config.providerIssuer}\n${config.clientId}\n${config.clientSecret}`;
  return cachedPromise(discovered, key, nowMs, nowMs + DISCOVERY_MAX_AGE_MS, () => discover(config));
}

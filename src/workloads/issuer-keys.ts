import { createRemoteJWKSet } from "jose";
import * as oauth from "oauth4webapi";
import { MAX_WORKLOAD_ISSUERS } from "../config/trusted-workloads";
import { AuthError } from "../errors";
import { BoundedCache, cachedPromise } from "../util/bounded-cache";

/** A workload issuer's signing keys, from its OpenID discovery document's `jwks_uri`. */
export interface IssuerKeys {
  /** Fetched on demand and cached by jose: bounded, with a timeout and a refetch cooldown. */
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/** How long a discovery document is kept per isolate, ms. Failures are never kept. */
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/** How long one call to an issuer may take, ms, before the request gets 503. */
const ISSUER_TIMEOUT_MS = 5_000;
/**
 * jose refetches the key set when a token names a `kid` it does not hold (key rotation), but at
 * most once per cooldown, ms: a flood of made-up `kid`s costs one fetch per 30 s, never one per
 * request.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** Keys are refetched at the latest after this long, ms (10 minutes, jose's default). */
const JWKS_MAX_AGE_MS = 10 * 60_000;
/** Issuers per isolate: at most MAX_WORKLOAD_ISSUERS per configuration; twice that across a rollout. */
const discovered = new BoundedCache<Promise<IssuerKeys>>(MAX_WORKLOAD_ISSUERS * 2);
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

const unavailable = (detail: string, cause?: unknown) => new AuthError("ERR_WORKLOAD_ISSUER_UNAVAILABLE", cause === undefined ? { detail } : { detail, cause });

async function discover(issuer: string): Promise<IssuerKeys> {
  const issuerUrl = new URL(issuer);
  // The configuration allows plain http for a loopback issuer only (local tests and the demo).
  const insecure = issuerUrl.protocol === "http:";
  const httpOptions = insecure ? { [oauth.allowInsecureRequests]: true } : {};
  let metadata: oauth.AuthorizationServer;
  try {
    const response = await oauth.discoveryRequest(issuerUrl, { ...httpOptions, algorithm: "oidc", signal: AbortSignal.timeout(ISSUER_TIMEOUT_MS) });
    // Checks that the document names this very issuer (OpenID Connect Discovery 4.3).
    metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
  } catch (error) {
    throw unavailable(`discovery of ${issuer} failed`, error);
  }
  let jwksUri: URL | undefined;
  try {
    jwksUri = metadata.jwks_uri ? new URL(metadata.jwks_uri) : undefined;
  } catch {
    jwksUri = undefined;
  }
  if (!jwksUri || !(jwksUri.protocol === "https:" || (insecure && jwksUri.protocol === "http:" && LOOPBACK_HOSTS.has(jwksUri.hostname)))) {
    throw unavailable(`discovery of ${issuer}: no usable jwks_uri`);
  }
  return { jwks: createRemoteJWKSet(jwksUri, { timeoutDuration: ISSUER_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS }) };
}

/**
 * The keys of a TRUSTED_WORKLOADS issuer: discovered once per isolate and again hourly, shared by
 * every workload of that issuer. ERR_WORKLOAD_ISSUER_UNAVAILABLE (503) when the issuer cannot be
 * read; only configured issuers ever get here, so a token cannot make the worker call anywhere.
 */
export function issuerKeysFor(issuer: string, nowMs: number): Promise<IssuerKeys> {
  return cachedPromise(discovered, issuer, nowMs, nowMs + DISCOVERY_MAX_AGE_MS, () => discover(issuer));
}

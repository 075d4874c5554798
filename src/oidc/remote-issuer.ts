import { createRemoteJWKSet } from "jose";
import * as oauth from "oauth4webapi";
import { BoundedCache } from "../util/bounded-cache";
import { isSecureOrLoopback, secureOrLoopbackUrl } from "../util/issuer-rules";

/**
 * A party whose tokens we verify with keys it publishes: the OpenID provider, a trusted workload's
 * issuer, the RISC transmitter. Each is discovered from a document at a well-known URL, and its
 * keys are fetched from that document's `jwks_uri`; both are cached per isolate here, once.
 */

/** How long one call to an issuer may take, ms: a sign-in fails with 502, a request with 503. */
export const ISSUER_TIMEOUT_MS = 5_000;
/** How long a discovered document is kept per isolate, ms. */
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/**
 * How long a failed discovery is remembered, ms: an issuer that is down (or a provider with no RISC
 * configuration at all) costs one call a minute, not one per request, and is retried after that.
 */
export const DISCOVERY_FAILURE_MEMORY_MS = 60 * 1000;
/**
 * jose refetches the key set when a token names a `kid` it does not hold (key rotation), but at
 * most once per cooldown, ms: a flood of made-up `kid`s costs one fetch per 30 s.
 */
const JWKS_COOLDOWN_MS = 30_000;
/** Keys are refetched at the latest after this long, ms (jose's default). */
const JWKS_MAX_AGE_MS = 10 * 60_000;

export type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** The keys at `jwksUri`: fetched on demand, bounded in time, refetched at most once per cooldown. */
export function remoteKeySet(jwksUri: URL): RemoteKeySet {
  return createRemoteJWKSet(jwksUri, {
    timeoutDuration: ISSUER_TIMEOUT_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_MAX_AGE_MS,
  });
}

/** oauth4webapi's options for an issuer: plain http only for a loopback one (local tests, the demo). */
export function httpOptionsFor(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  return issuer.protocol === "http:" && isSecureOrLoopback(issuer) ? { [oauth.allowInsecureRequests]: true } : {};
}

/**
 * An issuer's OpenID discovery document, checked to name this very issuer, and its `jwks_uri` as
 * a URL we may fetch (https, or http on loopback). Throws on any failure; callers say what it means.
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationValidation
 */
export async function discoverOpenIdIssuer(
  issuer: URL,
): Promise<{ metadata: oauth.AuthorizationServer; jwksUri: URL }> {
  const options = {
    ...httpOptionsFor(issuer),
    algorithm: "oidc" as const,
    signal: AbortSignal.timeout(ISSUER_TIMEOUT_MS),
  };
  const metadata = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
  const jwksUri = secureOrLoopbackUrl(metadata.jwks_uri);
  if (!jwksUri) throw new TypeError("the discovery document has no usable jwks_uri");
  return { metadata, jwksUri };
}

/**
 * Discovery per isolate: `discover()`'s result is kept an hour; a failure is kept for
 * `failureMemoryMs` (thrown again, without a call, until then), never longer. `cache` is the
 * caller's, sized for how many issuers it can have.
 */
export function cachedDiscovery<V>(
  cache: BoundedCache<Promise<V>>,
  key: string,
  nowMs: number,
  failureMemoryMs: number,
  discover: () => Promise<V>,
): Promise<V> {
  const cached = cache.get(key, nowMs);
  if (cached) return cached;
  const created = discover();
  cache.set(key, created, nowMs + DISCOVERY_MAX_AGE_MS);
  created.catch(() => {
    if (cache.get(key, nowMs) !== created) return;
    if (failureMemoryMs > 0) cache.set(key, created, nowMs + failureMemoryMs);
    else cache.deleteIf(key, created);
  });
  return created;
}

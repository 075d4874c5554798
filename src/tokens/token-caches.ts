import type { Config } from "../config/parse-config";
import type { Identity } from "../identity";
import { BoundedCache } from "../util/bounded-cache";
import { signOriginAssertion, verifyAccessToken, type AccessAudience, type AccessClaims } from "./our-tokens";

/**
 * Per-isolate caches in front of the asymmetric crypto of our own tokens. Both belong to one
 * Config (so a retired key empties them) and are bounded; both keep only successes. Expiries
 * are in seconds since epoch.
 */

/** Verified access tokens kept per isolate, until they expire. */
const MAX_CACHED_TOKENS = 10_000;
/** Public origins with a cache each; more than one only when PUBLIC_URL is unset (Host decides). */
const MAX_ORIGINS_CACHED = 4;
const verifiedByConfig = new WeakMap<Config, BoundedCache<BoundedCache<AccessClaims>>>();

/**
 * An access token's claims, verified fully once and then only for expiry: same bytes, same
 * signature, same key set.
 */
export async function verifiedAccessToken(config: Config, publicOrigin: string, token: string, nowSeconds: number): Promise<AccessClaims | undefined> {
  let byOrigin = verifiedByConfig.get(config);
  if (!byOrigin) verifiedByConfig.set(config, (byOrigin = new BoundedCache(MAX_ORIGINS_CACHED)));
  let cache = byOrigin.get(publicOrigin, 0);
  if (!cache) byOrigin.set(publicOrigin, (cache = new BoundedCache(MAX_CACHED_TOKENS)), Infinity);
  const known = cache.get(token, nowSeconds);
  if (known) return known;
  const where: AccessAudience = { publicOrigin, authPrefix: config.authPrefix };
  const claims = await verifyAccessToken(config.sessionKeys, where, token, nowSeconds, config.accessTokenTtlSeconds);
  if (claims) cache.set(token, claims, claims.exp);
  return claims;
}

/**
 * An assertion is reused for this long (seconds), so an active user costs one signature a
 * minute instead of one per request; the origin still always gets at least 4 minutes of validity.
 */
export const ASSERTION_REUSE_SECONDS = 60;
const MAX_CACHED_ASSERTIONS = 10_000;
const assertionsByConfig = new WeakMap<Config, BoundedCache<string>>();

/** The assertion for this user, signed at most ASSERTION_REUSE_SECONDS ago. */
export async function originAssertionFor(config: Config, publicOrigin: string, identity: Identity, nowSeconds: number): Promise<string> {
  let cache = assertionsByConfig.get(config);
  if (!cache) assertionsByConfig.set(config, (cache = new BoundedCache(MAX_CACHED_ASSERTIONS)));
  const key = JSON.stringify([publicOrigin, identity.sub, identity.email, identity.hd ?? null, identity.groups ?? []]);
  const cached = cache.get(key, nowSeconds);
  if (cached) return cached;
  const assertion = await signOriginAssertion(config.sessionKeys, publicOrigin, config.originAudience, identity, nowSeconds);
  cache.set(key, assertion, nowSeconds + ASSERTION_REUSE_SECONDS);
  return assertion;
}

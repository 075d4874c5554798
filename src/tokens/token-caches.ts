import type { Config } from "../config/parse-config";
import type { SessionKeys } from "../config/session-keys";
import type { Identity, Workload } from "../identity";
import { BoundedCache, cacheOf } from "../util/bounded-cache";
import { verifyAccessToken, type AccessAudience, type AccessClaims } from "./access-token";
import { signOriginAssertion, signWorkloadAssertion } from "./origin-assertion";

/**
 * Per-isolate caches in front of the asymmetric crypto of our own tokens. Both belong to one
 * Config (so retiring a key of SESSION_KEYS empties them; a key the worker rotates itself is
 * retired only after its tokens have expired) and are bounded; both keep only successes. Expiries
 * are in seconds since epoch.
 */

/** Verified access tokens kept per isolate, until they expire. */
const MAX_CACHED_TOKENS = 10_000;
/** Public origins with a cache each; more than one only when PUBLIC_URL is unset (Host decides). */
const MAX_ORIGINS_CACHED = 4;
const verifiedByConfig = new WeakMap<Config, BoundedCache<BoundedCache<AccessClaims>>>();

/**
 * An access token's claims, verified fully once and then only for expiry: same bytes, same
 * signature, same key set. A token that is not one throws jose's error (never cached).
 */
export async function verifiedAccessToken(
  config: Config,
  keys: SessionKeys,
  publicOrigin: string,
  token: string,
  nowSeconds: number,
): Promise<AccessClaims> {
  const byOrigin = cacheOf(verifiedByConfig, config, MAX_ORIGINS_CACHED);
  let cache = byOrigin.get(publicOrigin, 0);
  if (!cache) byOrigin.set(publicOrigin, (cache = new BoundedCache(MAX_CACHED_TOKENS)), Infinity);
  const known = cache.get(token, nowSeconds);
  if (known) return known;
  const where: AccessAudience = { publicOrigin, authPrefix: config.authPrefix };
  const claims = await verifyAccessToken(keys, where, token, nowSeconds, config.accessTokenTtlSeconds);
  cache.set(token, claims, claims.exp);
  return claims;
}

/**
 * An assertion is reused for this long (seconds), so an active user costs one signature a
 * minute instead of one per request; the origin still always gets at least 4 minutes of validity.
 */
export const ASSERTION_REUSE_SECONDS = 60;
const MAX_CACHED_ASSERTIONS = 10_000;
const assertionsByConfig = new WeakMap<Config, BoundedCache<string>>();

/** The assertion cached under `key` (for this config), or a new one from `sign()`, reused for ASSERTION_REUSE_SECONDS. */
async function cachedAssertion(
  config: Config,
  key: string,
  nowSeconds: number,
  sign: () => Promise<string>,
): Promise<string> {
  const cache = cacheOf(assertionsByConfig, config, MAX_CACHED_ASSERTIONS);
  const cached = cache.get(key, nowSeconds);
  if (cached) return cached;
  const assertion = await sign();
  cache.set(key, assertion, nowSeconds + ASSERTION_REUSE_SECONDS);
  return assertion;
}

/** The assertion for this user, signed at most ASSERTION_REUSE_SECONDS ago. */
export function originAssertionFor(
  config: Config,
  keys: SessionKeys,
  publicOrigin: string,
  identity: Identity,
  nowSeconds: number,
): Promise<string> {
  // "person" and "workload" keep a workload with a person's sub and e-mail from getting their assertion.
  const key = JSON.stringify([
    "person",
    publicOrigin,
    identity.provider,
    identity.sub,
    identity.email,
    identity.hd ?? null,
    identity.authTime ?? null,
    identity.groups ?? [],
  ]);
  return cachedAssertion(config, key, nowSeconds, () =>
    signOriginAssertion(keys, publicOrigin, config.originAudience, identity, nowSeconds),
  );
}

/** The assertion for this workload (a `workload` claim, never a person's), signed at most ASSERTION_REUSE_SECONDS ago. */
export function workloadAssertionFor(
  config: Config,
  keys: SessionKeys,
  publicOrigin: string,
  workload: Workload,
  nowSeconds: number,
): Promise<string> {
  const key = JSON.stringify(["workload", publicOrigin, workload.name, workload.sub, workload.email ?? null]);
  return cachedAssertion(config, key, nowSeconds, () =>
    signWorkloadAssertion(keys, publicOrigin, config.originAudience, workload, nowSeconds),
  );
}

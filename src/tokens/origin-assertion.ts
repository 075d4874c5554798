import type { JWTPayload } from "jose";
import type { Config } from "../config/parse-config";
import type { SessionKeys } from "../config/session-keys";
import type { Identity, Workload } from "../identity";
import { BoundedCache, cacheOf } from "../util/bounded-cache";
import { identityClaims, sign, TOKEN_TYPES } from "./our-jwt";

/** Lifetime of X-Auth-Assertion, seconds: at most 5 minutes (docs/reference.md). */
export const ASSERTION_TTL_SECONDS = 300;

export function signOriginAssertion(
  keys: SessionKeys,
  publicOrigin: string,
  originAudience: string,
  identity: Identity,
  nowSeconds: number,
): Promise<string> {
  return sign(keys, TOKEN_TYPES.assertion, identityClaims(identity), {
    issuer: publicOrigin,
    audience: originAudience,
    subject: identity.sub,
    issuedAtSeconds: nowSeconds,
    expiresAtSeconds: nowSeconds + ASSERTION_TTL_SECONDS,
  });
}

/**
 * A workload's assertion: `workload` (its TRUSTED_WORKLOADS name) tells the origin it is no
 * person; `sub` is the workload token's, `email` only a verified one. No `hd`, no `groups`.
 */
export function signWorkloadAssertion(
  keys: SessionKeys,
  publicOrigin: string,
  originAudience: string,
  workload: Workload,
  nowSeconds: number,
): Promise<string> {
  const claims: JWTPayload = { workload: workload.name, ...(workload.email ? { email: workload.email } : {}) };
  return sign(keys, TOKEN_TYPES.assertion, claims, {
    issuer: publicOrigin,
    audience: originAudience,
    subject: workload.sub,
    issuedAtSeconds: nowSeconds,
    expiresAtSeconds: nowSeconds + ASSERTION_TTL_SECONDS,
  });
}

/**
 * An assertion is reused for this long (seconds), so an active user costs one signature a
 * minute instead of one per request; the origin still always gets at least 4 minutes of validity.
 */
export const ASSERTION_REUSE_SECONDS = 60;
const MAX_CACHED_ASSERTIONS = 10_000;
/** Per Config, so retiring a key of SESSION_KEYS drops the assertions it signed. */
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

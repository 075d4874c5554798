import { SignJWT } from "jose";
import type { Config } from "../config/parse-config";
import { BoundedCache } from "./bounded-cache";
import type { Identity } from "./identity";

/** Lifetime of X-Auth-Assertion; the contract caps it at 5 minutes. */
export const ASSERTION_TTL_SECONDS = 300;

/**
 * The signed statement the origin can check itself against /.well-known/jwks.json:
 * `iss` our public origin, `aud` ORIGIN_AUDIENCE, `sub`, `email`, `iat`, `exp`.
 * The worker never accepts it as a session (different `aud` and `typ`).
 */
export async function signOriginAssertion(config: Config, issuer: string, identity: Identity, nowSeconds: number): Promise<string> {
  const { kid, alg, key } = config.sessionKeys.signing;
  return new SignJWT({ email: identity.email, ...(identity.hd ? { hd: identity.hd } : {}) })
    .setProtectedHeader({ alg, kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(config.originAudience)
    .setSubject(identity.sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ASSERTION_TTL_SECONDS)
    .sign(key);
}

/**
 * An assertion is reused for this long (seconds), so an active user costs one ES256 signature
 * a minute instead of one per request; the origin still always gets at least 4 minutes of
 * validity. Kept per Config, so a new signing key starts fresh.
 */
export const ASSERTION_REUSE_SECONDS = 60;
const MAX_CACHED_ASSERTIONS = 10_000;
const assertionsByConfig = new WeakMap<Config, BoundedCache<string>>();

/** The assertion for this user, signed at most ASSERTION_REUSE_SECONDS ago. */
export async function originAssertionFor(config: Config, issuer: string, identity: Identity, nowSeconds: number): Promise<string> {
  let cache = assertionsByConfig.get(config);
  if (!cache) assertionsByConfig.set(config, (cache = new BoundedCache(MAX_CACHED_ASSERTIONS)));
  const key = JSON.stringify([issuer, identity.sub, identity.email, identity.hd ?? null]);
  const cached = cache.get(key, nowSeconds);
  if (cached) return cached;
  const assertion = await signOriginAssertion(config, issuer, identity, nowSeconds);
  cache.set(key, assertion, nowSeconds + ASSERTION_REUSE_SECONDS);
  return assertion;
}

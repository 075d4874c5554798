import type { JWTPayload } from "jose";
import type { Config } from "../config/parse-config";
import type { SessionKeys } from "../config/session-keys";
import type { Identity } from "../identity";
import { BoundedCache, cacheOf } from "../util/bounded-cache";
import { claimRefused, identityClaims, identityFromClaims, requireStrings, sign, TOKEN_TYPES, verify } from "./our-jwt";

export interface AccessClaims {
  identity: Identity;
  /** The session (refresh-token family) this token was issued for. */
  sid: string;
  iat: number;
  exp: number;
}

/** Where our access tokens are valid: the worker's auth routes, never the origin's audience. */
export interface AccessAudience {
  publicOrigin: string;
  authPrefix: string;
}
const sessionAudience = ({ publicOrigin, authPrefix }: AccessAudience) => `${publicOrigin}${authPrefix}`;

export function signAccessToken(
  keys: SessionKeys,
  where: AccessAudience,
  identity: Identity,
  sid: string,
  issuedAtSeconds: number,
  expiresAtSeconds: number,
): Promise<string> {
  const claims: JWTPayload = { ...identityClaims(identity), sid };
  return sign(keys, TOKEN_TYPES.access, claims, {
    issuer: where.publicOrigin,
    audience: sessionAudience(where),
    subject: identity.sub,
    issuedAtSeconds,
    expiresAtSeconds,
  });
}

/**
 * A valid access token's claims. A lifetime longer than `maxTtlSeconds` is refused. Throws jose's
 * error (with its code) for any token that is not one.
 */
export async function verifyAccessToken(
  keys: SessionKeys,
  where: AccessAudience,
  token: string,
  nowSeconds: number,
  maxTtlSeconds: number,
): Promise<AccessClaims> {
  const payload = await verify(keys, TOKEN_TYPES.access, token, {
    issuer: where.publicOrigin,
    audience: sessionAudience(where),
    nowSeconds,
    requiredClaims: ["sub", "sid", "email"],
  });
  requireStrings(payload, ["sub", "email", "sid"]);
  const { sub, email, sid, iat, exp } = payload as JWTPayload & {
    sub: string;
    email: string;
    sid: string;
    iat: number;
    exp: number;
  };
  if (exp - iat > maxTtlSeconds) claimRefused("exp", "is further from iat than ACCESS_TOKEN_TTL", payload);
  return {
    identity: identityFromClaims(payload, sub, email),
    sid,
    iat,
    exp,
  };
}

/** Verified access tokens kept per isolate, until they expire. */
const MAX_CACHED_TOKENS = 10_000;
/** Public origins with a cache each; more than one only when PUBLIC_URL is unset (Host decides). */
const MAX_ORIGINS_CACHED = 4;
/**
 * The isolate's verified access tokens, per Config (so retiring a key of SESSION_KEYS empties
 * them; a key the worker rotates itself is retired only after its tokens have expired) and per
 * public origin (a token's issuer and audience). Only successes are kept.
 */
const verifiedByConfig = new WeakMap<Config, BoundedCache<BoundedCache<AccessClaims>>>();

/**
 * What the gate calls: an access token's claims, verified fully once and then only for expiry
 * (same bytes, same signature, same key set), for at most MAX_CACHED_TOKENS tokens. A token that
 * is not one throws jose's error, and is never cached.
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

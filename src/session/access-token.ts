import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Config } from "../config/parse-config";
import { BoundedCache } from "./bounded-cache";
import type { Identity } from "./identity";

/** Our session JWTs say what they are, so no other JWT of ours (assertion, login) passes as one. */
export const ACCESS_TOKEN_TYPE = "session+jwt";
/** Longer is not ours; refuse before parsing. */
const MAX_TOKEN_LENGTH = 4096;
/**
 * How far in the future an `iat` may be, seconds: edge clocks are NTP-synced, so only a little.
 * `exp` gets no leeway at all: we issue and verify with the same clocks, and an access token
 * that has expired must lead to a refresh (and a revocation window exactly ACCESS_TOKEN_TTL).
 */
export const IAT_LEEWAY_SECONDS = 5;

export interface AccessClaims extends Identity {
  /** The refresh-token family (session) this token was issued for. */
  sid: string;
  iat: number;
  exp: number;
}

/** The `aud` of our own session tokens: the worker's auth routes, never the origin's audience. */
export function sessionAudience(issuer: string, config: Config): string {
  return `${issuer}${config.authPrefix}`;
}

/**
 * Signs an access JWT with the first key of SESSION_KEYS; it expires at `expSeconds`, by
 * default ACCESS_TOKEN_TTL seconds from now (a session ending sooner ends it sooner).
 */
export async function signAccessToken(config: Config, issuer: string, identity: Identity, sid: string, nowSeconds: number, expSeconds = nowSeconds + config.accessTokenTtlSeconds): Promise<string> {
  const { kid, alg, key } = config.sessionKeys.signing;
  const claims: JWTPayload = { email: identity.email, sid };
  if (identity.hd) claims.hd = identity.hd;
  return new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(issuer)
    .setAudience(sessionAudience(issuer, config))
    .setSubject(identity.sub)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(expSeconds)
    .sign(key);
}

/**
 * Verifies an access JWT locally, with no network: signature against SESSION_KEYS (key chosen
 * by `kid`, algorithm pinned by that key), `typ`, `iss`, `aud`, `exp`, an `iat` not in the
 * future, and a lifetime no longer than we issue. Returns undefined for anything else.
 */
export async function verifyAccessToken(config: Config, issuer: string, token: string, nowSeconds: number): Promise<AccessClaims | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  // A token verified before needs only its expiry checked again: same bytes, same signature,
  // same key set (the cache belongs to this Config, so a retired key empties it).
  const cache = verifiedTokens(config, issuer);
  const known = cache.get(token, nowSeconds);
  if (known) return known;
  const claims = await verifyFully(config, issuer, token, nowSeconds);
  if (claims) cache.set(token, claims, claims.exp);
  return claims;
}

/** Verified access tokens kept per isolate, until they expire. */
export const MAX_CACHED_TOKENS = 10_000;
/** Issuers (public origins) with a cache each; more only when PUBLIC_URL is unset. */
const MAX_ISSUERS_CACHED = 4;
const verifiedByConfig = new WeakMap<Config, Map<string, BoundedCache<AccessClaims>>>();

function verifiedTokens(config: Config, issuer: string): BoundedCache<AccessClaims> {
  let byIssuer = verifiedByConfig.get(config);
  if (!byIssuer) verifiedByConfig.set(config, (byIssuer = new Map()));
  let cache = byIssuer.get(issuer);
  if (!cache) {
    // Without PUBLIC_URL the issuer comes from the Host header: keep that map bounded too.
    if (byIssuer.size >= MAX_ISSUERS_CACHED) byIssuer.clear();
    byIssuer.set(issuer, (cache = new BoundedCache(MAX_CACHED_TOKENS)));
  }
  return cache;
}

async function verifyFully(config: Config, issuer: string, token: string, nowSeconds: number): Promise<AccessClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, config.sessionKeys.verificationKeys, {
      algorithms: config.sessionKeys.algorithms,
      typ: ACCESS_TOKEN_TYPE,
      issuer,
      audience: sessionAudience(issuer, config),
      requiredClaims: ["sub", "iat", "exp", "sid", "email"],
      currentDate: new Date(nowSeconds * 1000),
    });
    const { sub, email, hd, sid, iat, exp } = payload;
    if (typeof sub !== "string" || typeof email !== "string" || typeof sid !== "string") return undefined;
    if (typeof iat !== "number" || typeof exp !== "number") return undefined;
    if (iat > nowSeconds + IAT_LEEWAY_SECONDS) return undefined;
    if (exp - iat > config.accessTokenTtlSeconds) return undefined;
    return { sub, email, sid, iat, exp, ...(typeof hd === "string" ? { hd } : {}) };
  } catch {
    return undefined;
  }
}

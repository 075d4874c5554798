import type { JWTPayload } from "jose";
import type { SessionKeys } from "../config/session-keys";
import type { Identity } from "../identity";
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

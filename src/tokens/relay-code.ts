import type { JWTPayload } from "jose";
import type { SessionKeys } from "../config/session-keys";
import type { Identity } from "../identity";
import { claimRefused, identityClaims, identityFromClaims, requireStrings, sign, TOKEN_TYPES, verify } from "./our-jwt";

/** A relay code lives one minute: long enough for one redirect, short for anything else. */
export const RELAY_CODE_TTL_SECONDS = 60;

export interface RelayCode {
  identity: Identity;
  /** The `state` of the login waiting in the preview browser's cookie: binds the code to it. */
  state: string;
  /** Accepted once: the store records it (write-once) when the code is redeemed. */
  jti: string;
  exp: number;
}

/** Signed by the registered host (`iss`) for exactly one preview origin (`aud`). */
export function signRelayCode(
  keys: SessionKeys,
  registeredOrigin: string,
  previewOrigin: string,
  code: Omit<RelayCode, "exp">,
  nowSeconds: number,
): Promise<string> {
  const claims: JWTPayload = { ...identityClaims(code.identity), st: code.state, jti: code.jti };
  return sign(keys, TOKEN_TYPES.relay, claims, {
    issuer: registeredOrigin,
    audience: previewOrigin,
    subject: code.identity.sub,
    issuedAtSeconds: nowSeconds,
    expiresAtSeconds: nowSeconds + RELAY_CODE_TTL_SECONDS,
  });
}

/**
 * A valid relay code for this preview origin. Throws jose's error (with its code) when it is
 * forged, expired, for another audience or too long-lived.
 */
export async function verifyRelayCode(
  keys: SessionKeys,
  registeredOrigin: string,
  previewOrigin: string,
  token: string,
  nowSeconds: number,
): Promise<RelayCode> {
  const payload = await verify(keys, TOKEN_TYPES.relay, token, {
    issuer: registeredOrigin,
    audience: previewOrigin,
    nowSeconds,
    requiredClaims: ["sub", "email", "st", "jti"],
  });
  requireStrings(payload, ["sub", "email", "st", "jti"]);
  const { sub, email, st, jti, iat, exp } = payload as JWTPayload & {
    sub: string;
    email: string;
    st: string;
    jti: string;
    iat: number;
    exp: number;
  };
  if (exp - iat > RELAY_CODE_TTL_SECONDS) claimRefused("exp", "is more than a minute after iat", payload);
  return {
    identity: identityFromClaims(payload, sub, email),
    state: st,
    jti,
    exp,
  };
}

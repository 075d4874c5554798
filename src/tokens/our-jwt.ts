import { CompactSign, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import { JWTClaimValidationFailed, JWTInvalid } from "jose/errors";
import type { SessionKeys } from "../config/session-keys";
import { identityOf, type Identity } from "../identity";

/**
 * Signing and verifying the JWTs the worker signs with SESSION_KEYS, for the four kinds this
 * folder holds (access-token.ts, origin-assertion.ts, login-token.ts, relay-code.ts). Each has its
 * own `typ`, so none passes as another, and its own audience; nothing else signs or verifies them.
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11
 */
export const TOKEN_TYPES = {
  access: "session+jwt",
  assertion: "auth-assertion+jwt",
  login: "login+jwt",
  relay: "relay+jwt",
} as const;

/** Longer is not ours (an ES256 access JWT is about 500 bytes): refuse before parsing. */
const MAX_TOKEN_LENGTH = 4096;
/**
 * How far in the future an `iat` may be, seconds: edge clocks are NTP-synced, so only a little.
 * `exp` gets no leeway at all: we issue and verify with the same clocks, and an access token
 * that has expired must lead to a refresh (and a revocation window exactly ACCESS_TOKEN_TTL).
 */
const IAT_LEEWAY_SECONDS = 5;

export interface Issue {
  issuer: string;
  audience: string;
  subject?: string;
  issuedAtSeconds: number;
  expiresAtSeconds: number;
}

export function sign(keys: SessionKeys, typ: string, claims: JWTPayload, issue: Issue): Promise<string> {
  const { kid, alg, key } = keys.signing;
  const registered = {
    iss: issue.issuer,
    aud: issue.audience,
    iat: issue.issuedAtSeconds,
    exp: issue.expiresAtSeconds,
    ...(issue.subject === undefined ? {} : { sub: issue.subject }),
  };
  return signJwt({ alg, kid, typ }, { ...claims, ...registered }, key);
}

/**
 * A claim of ours that jose does not check itself, refused the way jose refuses one: with its
 * code (ERR_JWT_CLAIM_VALIDATION_FAILED) and the claim's name, never its value.
 */
export function claimRefused(claim: string, reason: string, payload: JWTPayload): never {
  throw new JWTClaimValidationFailed(`"${claim}" claim ${reason}`, payload, claim, "check_failed");
}

/**
 * Signature (key by `kid`, algorithm pinned by that key), `typ`, `iss`, `aud`, `exp`, `iat` not in
 * the future. Throws jose's error on any failure, so its stable code (ERR_JWT_EXPIRED,
 * ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_CLAIM_VALIDATION_FAILED
 * with its claim) says why in the log and in tests.
 */
export async function verify(
  keys: SessionKeys,
  typ: string,
  token: string,
  expect: { issuer: string; audience: string; nowSeconds: number; requiredClaims: string[] },
) {
  if (token.length > MAX_TOKEN_LENGTH) throw new JWTInvalid(`longer than ${MAX_TOKEN_LENGTH} characters`);
  // Required, `iat` and `exp` are numbers once jose accepts the token: it refuses any other type.
  const { payload } = await jwtVerify<{ iat: number; exp: number }>(token, keys.verificationKeys, {
    algorithms: keys.algorithms,
    typ,
    issuer: expect.issuer,
    audience: expect.audience,
    requiredClaims: ["iat", "exp", ...expect.requiredClaims],
    currentDate: new Date(expect.nowSeconds * 1000),
  });
  if (payload.iat > expect.nowSeconds + IAT_LEEWAY_SECONDS) claimRefused("iat", "is in the future", payload);
  return payload;
}

/** Claims that must be strings (jose's requiredClaims checks presence only). */
export function requireStrings(payload: JWTPayload, claims: readonly string[]): void {
  for (const claim of claims) if (typeof payload[claim] !== "string") claimRefused(claim, "is not a string", payload);
}

/**
 * The identity's claims besides `sub`: `idp` (the provider's id, docs/providers.md), `email`, and
 * the optional `hd`, `auth_time` (the sign-in at the provider) and `groups` (only the policy's, so
 * the token stays small).
 */
export const identityClaims = (identity: Identity): JWTPayload => ({
  idp: identity.provider,
  email: identity.email,
  ...(identity.hd ? { hd: identity.hd } : {}),
  ...(identity.authTime === undefined ? {} : { auth_time: identity.authTime }),
  ...(identity.groups?.length ? { groups: [...identity.groups] } : {}),
});

/** The identity identityClaims wrote, read back from a verified payload whose `sub` and `email` are checked strings. */
export const identityFromClaims = (payload: JWTPayload, sub: string, email: string): Identity =>
  identityOf({
    provider: payload.idp,
    sub,
    email,
    hd: payload.hd,
    authTime: payload.auth_time,
    groups: payload.groups,
  });

const encoder = new TextEncoder();

/**
 * A JWT: its claims as JSON, signed as a compact JWS (RFC 7519 7.1 steps 1-4, with jose's
 * CompactSign). jose's SignJWT does the same behind a claims builder whose setters parse time
 * strings and check each value; our callers hold every claim as a number or string already, and
 * the builder would be 0.4 KiB of the gzipped bundle.
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-7.1
 */
export function signJwt(header: JWTHeaderParameters, claims: JWTPayload, key: CryptoKey): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader(header).sign(key);
}

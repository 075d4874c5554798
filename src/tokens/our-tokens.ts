import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { SessionKeys } from "../config/session-keys";
import { identityOf, type Identity, type Workload } from "../identity";

/**
 * The one home of the JWTs the worker signs with SESSION_KEYS: the access token, the origin
 * assertion, the login transaction and the preview relay code. Each has its own `typ`, so none
 * passes as another (RFC 8725 3.11), and its own audience. Only this module signs or verifies them.
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

interface Issue {
  issuer: string;
  audience: string;
  subject?: string;
  issuedAtSeconds: number;
  expiresAtSeconds: number;
}

function sign(keys: SessionKeys, typ: string, claims: JWTPayload, issue: Issue): Promise<string> {
  const { kid, alg, key } = keys.signing;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ })
    .setIssuer(issue.issuer)
    .setAudience(issue.audience)
    .setIssuedAt(issue.issuedAtSeconds)
    .setExpirationTime(issue.expiresAtSeconds);
  return (issue.subject === undefined ? jwt : jwt.setSubject(issue.subject)).sign(key);
}

/**
 * A claim of ours that jose does not check itself, refused the way jose refuses one: with its
 * code (ERR_JWT_CLAIM_VALIDATION_FAILED) and the claim's name, never its value.
 */
function claimRefused(claim: string, reason: string, payload: JWTPayload): never {
  throw new errors.JWTClaimValidationFailed(`"${claim}" claim ${reason}`, payload, claim, "check_failed");
}

/**
 * Signature (key by `kid`, algorithm pinned by that key), `typ`, `iss`, `aud`, `exp`, `iat` not in
 * the future. Throws jose's error on any failure, so its stable code (ERR_JWT_EXPIRED,
 * ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWKS_NO_MATCHING_KEY, ERR_JWT_CLAIM_VALIDATION_FAILED
 * with its claim) says why in the log and in tests.
 */
async function verify(
  keys: SessionKeys,
  typ: string,
  token: string,
  expect: { issuer: string; audience: string; nowSeconds: number; requiredClaims: string[] },
) {
  if (token.length > MAX_TOKEN_LENGTH) throw new errors.JWTInvalid(`longer than ${MAX_TOKEN_LENGTH} characters`);
  const { payload } = await jwtVerify(token, keys.verificationKeys, {
    algorithms: keys.algorithms,
    typ,
    issuer: expect.issuer,
    audience: expect.audience,
    requiredClaims: ["iat", "exp", ...expect.requiredClaims],
    currentDate: new Date(expect.nowSeconds * 1000),
  });
  if (typeof payload.iat !== "number" || typeof payload.exp !== "number")
    claimRefused("iat", "is not a number", payload);
  if (payload.iat > expect.nowSeconds + IAT_LEEWAY_SECONDS) claimRefused("iat", "is in the future", payload);
  return payload as JWTPayload & { iat: number; exp: number };
}

/** Claims that must be strings (jose's requiredClaims checks presence only). */
function requireStrings(payload: JWTPayload, claims: readonly string[]): void {
  for (const claim of claims) if (typeof payload[claim] !== "string") claimRefused(claim, "is not a string", payload);
}

// ---- Access token: our session, verified at the edge on every request ----------------------

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

/** The identity's optional claims: `hd`, and `groups` (only the policy's, so the token stays small). */
const identityClaims = (identity: Identity): JWTPayload => ({
  email: identity.email,
  ...(identity.hd ? { hd: identity.hd } : {}),
  ...(identity.groups?.length ? { groups: [...identity.groups] } : {}),
});

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
  return { identity: identityOf({ sub, email, hd: payload.hd, groups: payload.groups }), sid, iat, exp };
}

// ---- Origin assertion: what the origin verifies against /.well-known/jwks.json -------------

/** Lifetime of X-Auth-Assertion, seconds: at most 5 minutes (docs/reference.md). */
const ASSERTION_TTL_SECONDS = 300;

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

// ---- Login transaction: state, nonce and PKCE verifier, in this browser's login cookie -----

export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  /**
   * On the registered host, a sign-in for a preview deployment: the preview's origin (checked
   * against PREVIEW_HOSTS) and the `state` of the login waiting in that browser's preview cookie.
   */
  relay?: { to: string; state: string };
}

/** How long a person may spend at the provider's sign-in page, seconds. */
export const LOGIN_TTL_SECONDS = 600;

export function signLoginTransaction(
  keys: SessionKeys,
  publicOrigin: string,
  callbackUrl: string,
  tx: LoginTransaction,
  nowSeconds: number,
): Promise<string> {
  const claims = {
    st: tx.state,
    nonce: tx.nonce,
    cv: tx.codeVerifier,
    rt: tx.returnTo,
    ...(tx.relay ? { rl: tx.relay } : {}),
  };
  return sign(keys, TOKEN_TYPES.login, claims, {
    issuer: publicOrigin,
    audience: callbackUrl,
    issuedAtSeconds: nowSeconds,
    expiresAtSeconds: nowSeconds + LOGIN_TTL_SECONDS,
  });
}

/** The login transaction in a login cookie; throws jose's error (with its code) for anything else. */
export async function verifyLoginTransaction(
  keys: SessionKeys,
  publicOrigin: string,
  callbackUrl: string,
  token: string,
  nowSeconds: number,
): Promise<LoginTransaction> {
  const payload = await verify(keys, TOKEN_TYPES.login, token, {
    issuer: publicOrigin,
    audience: callbackUrl,
    nowSeconds,
    requiredClaims: [],
  });
  requireStrings(payload, ["st", "nonce", "cv", "rt"]);
  const { st, nonce, cv, rt, rl } = payload as JWTPayload & { st: string; nonce: string; cv: string; rt: string };
  const relay = rl as { to?: unknown; state?: unknown } | undefined;
  const tx: LoginTransaction = { state: st, nonce, codeVerifier: cv, returnTo: rt };
  if (relay === undefined) return tx;
  if (typeof relay.to !== "string" || typeof relay.state !== "string") claimRefused("rl", "is not a relay", payload);
  return { ...tx, relay: { to: relay.to, state: relay.state } };
}

// ---- Relay code: a sign-in handed from the registered host to one preview deployment -------

/** A relay code lives one minute: long enough for one redirect, short for anything else. */
const RELAY_CODE_TTL_SECONDS = 60;

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
  return { identity: identityOf({ sub, email, hd: payload.hd, groups: payload.groups }), state: st, jti, exp };
}

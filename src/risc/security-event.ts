import { jwtVerify, type JWTPayload } from "jose";
import { AuthError, type AuthErrorCode } from "../errors";
import type { Transmitter } from "./transmitter";
import { ASYMMETRIC_ALGORITHMS } from "../util/issuer-rules";
import { isJoseError, joseClaim, keySetUnavailable } from "../util/jose-codes";

const RISC = "https://schemas.openid.net/secevent/risc/event-type/";
export const VERIFICATION_EVENT = `${RISC}verification`;

/**
 * Events about an account that end its sessions here (Google's RISC documentation): its sessions
 * or tokens were revoked, it was disabled or deleted, or its credentials must change. Google
 * names tokens-revoked under the OAuth namespace; the RISC spelling is accepted too.
 */
export const REVOKING_EVENTS: ReadonlySet<string> = new Set([
  `${RISC}sessions-revoked`,
  `${RISC}tokens-revoked`,
  "https://schemas.openid.net/secevent/oauth/event-type/tokens-revoked",
  `${RISC}account-disabled`,
  `${RISC}account-purged`,
  `${RISC}account-credential-change-required`,
]);

/**
 * How old a SET may be, seconds (its `iat`; SETs carry no `exp`). Push delivery is retried for a
 * while after a failure; anything older is refused, so a replay record need live no longer.
 */
export const SET_MAX_AGE_SECONDS = 7 * 24 * 3600;
/** SETs are a kilobyte or so; anything much longer is not one. */
export const MAX_SET_LENGTH = 16 * 1024;
export const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_EVENTS = 16;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface SecurityEvent {
  jti: string;
  /** When the transmitter says the event happened (`iat`), seconds; verified within the clock tolerance. */
  iatSeconds: number;
  events: { type: string; subject?: { iss: string; sub: string }; state?: string }[];
}

const refuse = (code: AuthErrorCode, detail: string, cause?: unknown) => new AuthError(code, { detail, cause });

/** Which RFC 8935 error a failed verification is: the key, the issuer, the audience, or the request. */
function verificationFailure(error: unknown): AuthError {
  if (keySetUnavailable(error)) return refuse("ERR_TRANSMITTER_UNAVAILABLE", "transmitter keys unavailable", error);
  const keyCodes = ["ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS", "ERR_JOSE_ALG_NOT_ALLOWED"] as const;
  if (isJoseError(error, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", ...keyCodes)) {
    return refuse("ERR_SET_INVALID_KEY", "signature", error);
  }
  const claim = isJoseError(error, "ERR_JWT_CLAIM_VALIDATION_FAILED") ? joseClaim(error) : undefined;
  if (claim === "iss") return refuse("ERR_SET_INVALID_ISSUER", "iss", error);
  if (claim === "aud") return refuse("ERR_SET_INVALID_AUDIENCE", "aud", error);
  return refuse("ERR_SET_INVALID_REQUEST", "claims", error);
}

/** Google's subject: `{"subject_type": "iss-sub", "iss", "sub"}` (RFC 9493 spells it `"format": "iss_sub"`). */
function subjectOf(value: unknown): { iss: string; sub: string } | undefined {
  const subject = value as { subject_type?: unknown; format?: unknown; iss?: unknown; sub?: unknown } | undefined;
  if (
    typeof subject !== "object" ||
    subject === null ||
    (subject.subject_type !== "iss-sub" && subject.format !== "iss_sub")
  )
    return undefined;
  const { iss, sub } = subject;
  return typeof iss === "string" && typeof sub === "string" && sub.length > 0 && sub.length <= 255
    ? { iss, sub }
    : undefined;
}

function eventsOf(payload: JWTPayload): SecurityEvent["events"] {
  const events = payload.events;
  if (typeof events !== "object" || events === null || Array.isArray(events))
    throw refuse("ERR_SET_INVALID_REQUEST", "events not an object");
  const entries = Object.entries(events as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_EVENTS)
    throw refuse("ERR_SET_INVALID_REQUEST", "events: none, or too many");
  return entries.map(([type, body]) => {
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw refuse("ERR_SET_INVALID_REQUEST", "event not an object");
    const fields = body as Record<string, unknown>;
    const subject = subjectOf(fields.subject);
    if (REVOKING_EVENTS.has(type) && !subject)
      throw refuse("ERR_SET_INVALID_REQUEST", "event about an account without an iss-sub subject");
    const state = typeof fields.state === "string" ? fields.state.slice(0, 128) : undefined;
    return { type, ...(subject ? { subject } : {}), ...(state !== undefined ? { state } : {}) };
  });
}

/** A request body that has the shape of a SET (a compact JWS of a sensible length): only compactSet() makes one. */
export type CompactSet = string & { readonly compactSet: unique symbol };

/**
 * Refuses what cannot be a SET before anything is fetched for it: junk never costs a network call.
 * The one shape check: verifySecurityEvent() takes only what this returns, so it need not look again.
 */
export function compactSet(token: string): CompactSet {
  if (token.length > MAX_SET_LENGTH || !COMPACT_JWS.test(token))
    throw refuse("ERR_SET_INVALID_REQUEST", "not a compact JWS");
  return token as CompactSet;
}

/**
 * Verifies a Security Event Token (RFC 8417) as Google's RISC documentation asks: the signature
 * against the transmitter's keys (asymmetric algorithms only), `iss` = the transmitter, `aud` =
 * our client id, a `jti`, an `iat` neither in the future nor older than SET_MAX_AGE_SECONDS, a
 * `typ` of `secevent+jwt` when there is one, and an `events` object. Refusals carry the code of
 * the RFC 8935 error they answer with.
 */
export async function verifySecurityEvent(
  token: CompactSet,
  transmitter: Transmitter,
  clientId: string,
  nowSeconds: number,
): Promise<SecurityEvent> {
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    verified = await jwtVerify(token, transmitter.jwks, {
      algorithms: ASYMMETRIC_ALGORITHMS,
      issuer: transmitter.issuer,
      audience: clientId,
      requiredClaims: ["iat", "jti", "events"],
      maxTokenAge: SET_MAX_AGE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    });
  } catch (error) {
    throw verificationFailure(error);
  }
  // RFC 8417 2.3: explicit typing keeps a SET from passing as another JWT and back; Google may omit it.
  const typ = verified.protectedHeader.typ;
  if (typ !== undefined && !/^(application\/)?secevent\+jwt$/i.test(typ))
    throw refuse("ERR_SET_INVALID_REQUEST", "typ");
  const jti = verified.payload.jti;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256) throw refuse("ERR_SET_INVALID_REQUEST", "jti");
  return { jti, iatSeconds: verified.payload.iat!, events: eventsOf(verified.payload) };
}

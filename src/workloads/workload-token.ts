import { decodeJwt, jwtVerify, type JWTPayload } from "jose";
import type { TrustedWorkload } from "../config/trusted-workloads";
import { AuthError } from "../errors";
import { isEmailAddress, PRINTABLE_SUB } from "../identity";
import { isJoseError, joseClaim, joseCode, keySetUnavailable } from "../util/jose-codes";
import { issuerKeysFor } from "./issuer-keys";
import { ASYMMETRIC_ALGORITHMS, canonicalIssuer, GOOGLE_ISSUER, GOOGLE_ISSUER_HOST } from "../util/issuer-rules";

/** A workload token that verified: every TRUSTED_WORKLOADS name it satisfies, and who it names. */
export interface WorkloadToken {
  /** In the order TRUSTED_WORKLOADS lists them; the gate forwards the first the request's rule names. */
  names: readonly string[];
  sub: string;
  /** Lowercased, only when the token says `email_verified: true` (a boolean, never "true"). */
  email?: string;
  /** The token's `exp`, seconds since epoch. */
  exp: number;
}

/** GitHub's tokens are about 1.5 KiB with every claim; anything past this is not a workload token. */
const MAX_TOKEN_LENGTH = 8 * 1024;
/** Seconds of clock difference tolerated on `exp`, `nbf` and `iat`: the issuer's clock is not ours. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Longest lifetime (`exp` - `iat`) accepted, seconds. GitHub's tokens live minutes, Google's an hour. */
const MAX_LIFETIME_SECONDS = 24 * 3600;

const invalid = (detail: string, cause?: unknown) => new AuthError("ERR_WORKLOAD_TOKEN_INVALID", { detail, cause });

/**
 * The trusted issuer a bearer token claims to come from (read without verifying, to pick the keys
 * that will verify it), or undefined when no TRUSTED_WORKLOADS entry names that issuer: then the
 * token is not a workload's at all, and the request goes on as a person's.
 */
export function trustedIssuerOf(workloads: readonly TrustedWorkload[], token: string): string | undefined {
  if (workloads.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return undefined;
  }
  if (typeof iss !== "string") return undefined;
  const issuer = canonicalIssuer(iss);
  return workloads.some((workload) => workload.issuer === issuer) ? issuer : undefined;
}

/** The issuer's keys could not be fetched (503); anything else is the token's fault (401). */
function verificationFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (keySetUnavailable(error))
    return new AuthError("ERR_WORKLOAD_ISSUER_UNAVAILABLE", { detail: "issuer keys unavailable", cause: error });
  const claim = isJoseError(error, "ERR_JWT_CLAIM_VALIDATION_FAILED") ? ` (${joseClaim(error)})` : "";
  return invalid(`${joseCode(error) ?? "ERR_JWT_INVALID"}${claim}`, error);
}

/** Which of the entry's requirements the token misses: claim names only, never the token's values. */
function misses(workload: TrustedWorkload, payload: JWTPayload): string[] {
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const missed = audiences.includes(workload.audience) ? [] : ["aud"];
  for (const [claim, expected] of Object.entries(workload.claims)) if (payload[claim] !== expected) missed.push(claim);
  // An e-mail that identifies the caller must be one the issuer verified.
  if ("email" in workload.claims && payload.email_verified !== true) missed.push("email_verified");
  return missed;
}

/**
 * Verifies a workload's OIDC token (docs/access-policies.md, "Machines as callers"): the signature against the issuer's published
 * keys (asymmetric algorithms only), `iss` exactly, `exp` and `nbf` (30 s of clock tolerance),
 * an `iat` not in the future and at most a day before `exp`, a printable `sub`; then the
 * TRUSTED_WORKLOADS entries of that issuer whose `audience` is among the token's `aud` and whose
 * every claim equals the token's, exactly. None: ERR_WORKLOAD_TOKEN_INVALID (401). The issuer
 * unreachable: ERR_WORKLOAD_ISSUER_UNAVAILABLE (503).
 */
export async function verifyWorkloadToken(
  workloads: readonly TrustedWorkload[],
  issuer: string,
  token: string,
  nowSeconds: number,
  nowMs: number,
): Promise<WorkloadToken> {
  let payload: JWTPayload;
  try {
    const keys = await issuerKeysFor(issuer, nowMs);
    ({ payload } = await jwtVerify(token, keys.jwks, {
      algorithms: ASYMMETRIC_ALGORITHMS,
      issuer: issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, GOOGLE_ISSUER_HOST] : issuer,
      requiredClaims: ["sub", "aud", "iat", "exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowSeconds * 1000),
    }));
  } catch (error) {
    throw verificationFailure(error);
  }
  const { sub, iat, exp } = payload as JWTPayload & { iat: number; exp: number };
  if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw invalid("iat in the future");
  if (exp - iat > MAX_LIFETIME_SECONDS) throw invalid("lifetime over a day");
  if (typeof sub !== "string" || !PRINTABLE_SUB.test(sub)) throw invalid("sub");

  const candidates = workloads.filter((workload) => workload.issuer === issuer);
  const missed = candidates.map((workload) => ({ name: workload.name, missed: misses(workload, payload) }));
  const names = missed.filter((entry) => entry.missed.length === 0).map((entry) => entry.name);
  if (names.length === 0)
    throw invalid(
      `no workload of ${issuer} matches: ${missed.map((entry) => `${entry.name} (${entry.missed.join(", ")})`).join("; ")}`,
    );

  const email =
    typeof payload.email === "string" && payload.email_verified === true ? payload.email.toLowerCase() : undefined;
  return { names, sub, ...(email && isEmailAddress(email) ? { email } : {}), exp };
}

import type { JWTPayload } from "jose";
import type { SessionKeys } from "../config/session-keys";
import type { Identity, Workload } from "../identity";
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

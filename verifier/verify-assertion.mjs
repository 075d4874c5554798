// Verifies the X-Auth-Assertion header that edge-auth-worker adds to every authenticated
// request. Copy this file into your origin (it needs only `jose`) or import it.
//
// Why: the X-Auth-User-* headers are only trustworthy when the origin can be reached through
// the worker alone. If it can be reached any other way, verify the assertion on every request.
import { createRemoteJWKSet, jwtVerify } from "jose";

/** Header name the worker uses. */
export const ASSERTION_HEADER = "x-auth-assertion";
/** The assertion's JWT type: no other token the worker signs (its session tokens) has it. */
export const ASSERTION_TYPE = "auth-assertion+jwt";

// One key set per JWKS URL for the life of the process: jose caches the keys, refetches when an
// unknown `kid` shows up (key rotation), at most once per 30 s, and times out after 5 s.
const keySets = new Map();

function keySetFor(jwksUrl) {
  let keySet = keySets.get(jwksUrl);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
    keySets.set(jwksUrl, keySet);
  }
  return keySet;
}

function headerOf(request) {
  const headers = request.headers;
  const value = typeof headers?.get === "function" ? headers.get(ASSERTION_HEADER) : headers?.[ASSERTION_HEADER];
  return Array.isArray(value) ? undefined : value;
}

/**
 * Verifies the request's X-Auth-Assertion and returns who it is for.
 *
 * @param {Request | import("node:http").IncomingMessage} request  a Fetch Request or a Node request
 * @param {object} options
 * @param {string} options.jwksUrl   the worker's key set: `${PUBLIC_URL}/.well-known/jwks.json`
 * @param {string} options.issuer    the worker's public origin (PUBLIC_URL), e.g. "https://app.example.com"
 * @param {string} options.audience  ORIGIN_AUDIENCE (default: your ORIGIN_URL's origin)
 * @param {boolean} [options.workloads=false]  accept a workload's assertion (a CI job, a service
 *   account: TRUSTED_WORKLOADS), which carries `workload` and has an `email` only when its token
 *   had a verified one. Off by default, so code written for people never takes a machine for one.
 * @returns {Promise<{ sub: string, email?: string, hd?: string, workload?: string, claims: import("jose").JWTPayload, header: import("jose").JWTHeaderParameters }>}
 *   `email` is always there for a person; `workload` (its TRUSTED_WORKLOADS name) only for a workload.
 * @throws an Error with `code` "ERR_ASSERTION_MISSING", "ERR_ASSERTION_WORKLOAD" (a workload's,
 *   without `workloads: true`), or jose's error codes
 *   ("ERR_JWT_EXPIRED", "ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", ...)
 */
export async function verifyAssertion(request, { jwksUrl, issuer, audience, workloads = false }) {
  const assertion = headerOf(request);
  if (typeof assertion !== "string" || assertion.length === 0 || assertion.length > 4096) {
    throw Object.assign(new Error("no X-Auth-Assertion header"), { code: "ERR_ASSERTION_MISSING" });
  }
  const { payload, protectedHeader } = await jwtVerify(assertion, keySetFor(jwksUrl), {
    typ: ASSERTION_TYPE,
    issuer,
    audience,
    algorithms: ["ES256", "EdDSA"],
    requiredClaims: ["sub", "iat", "exp"],
    maxTokenAge: "5m",
    clockTolerance: 30,
  });
  if (payload.workload !== undefined) {
    if (!workloads)
      throw Object.assign(new Error("a workload's assertion (pass workloads: true to accept them)"), {
        code: "ERR_ASSERTION_WORKLOAD",
      });
    if (typeof payload.workload !== "string")
      throw Object.assign(new Error("workload is not a string"), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
    return {
      sub: payload.sub,
      ...(typeof payload.email === "string" ? { email: payload.email } : {}),
      workload: payload.workload,
      claims: payload,
      header: protectedHeader,
    };
  }
  if (typeof payload.email !== "string")
    throw Object.assign(new Error("assertion without e-mail"), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  return {
    sub: payload.sub,
    email: payload.email,
    ...(typeof payload.hd === "string" ? { hd: payload.hd } : {}),
    claims: payload,
    header: protectedHeader,
  };
}

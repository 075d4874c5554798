// Verifies the X-Auth-Assertion header that edge-auth-worker adds to every authenticated
// request. Copy this file into your origin (it needs only `jose`) or import it.
//
// Why: the X-Auth-User-* headers are only trustworthy when the origin can be reached through
// the worker alone. If it can be reached any other way, verify the assertion on every request.
import { createLocalJWKSet, errors, jwtVerify } from "jose";

/** Header name the worker uses. */
export const ASSERTION_HEADER = "x-auth-assertion";
/** The assertion's JWT type: no other token the worker signs (its session tokens) has it. */
export const ASSERTION_TYPE = "auth-assertion+jwt";

// The worker's key set is kept 10 minutes and refetched for an unknown `kid` (key rotation) at
// most once per 30 s, counting failed attempts too, so made-up `kid`s cannot turn every request
// into a fetch, even while the key set is down. A fetch is given up after 5 s; a key set is a few
// hundred bytes, more than 64 KiB is refused. When refetching fails, the last keys fetched keep
// verifying until an hour after that fetch. (jose's remote key set counts only successful fetches
// and drops its keys when a refetch fails after 10 minutes; its local key set does the matching.)
const KEYS_MAX_AGE_MS = 600_000;
const KEYS_COOLDOWN_MS = 30_000;
const KEYS_TIMEOUT_MS = 5000;
const KEYS_MAX_BYTES = 64 * 1024;
const KEYS_MAX_STALE_MS = 3_600_000;

const unavailable = (cause) =>
  Object.assign(new Error("could not fetch the worker's key set", { cause }), { code: "ERR_JWKS_UNAVAILABLE" });

async function fetchKeySet(jwksUrl) {
  const response = await fetch(jwksUrl, {
    headers: { accept: "application/json" },
    redirect: "manual",
    signal: AbortSignal.timeout(KEYS_TIMEOUT_MS),
  });
  if (response.status !== 200) throw new Error(`the key set answered ${response.status}`);
  const text = await response.text();
  if (text.length > KEYS_MAX_BYTES) throw new Error("the key set is too large");
  return createLocalJWKSet(JSON.parse(text));
}

/**
 * A key-set function for jwtVerify. A fetch under way holds up only the verification that started
 * it (and, while no keys are held yet, those that need them): the others go on with the keys held.
 */
function workerKeySet(jwksUrl) {
  let local, fetchedAt, attemptedAt, pending, lastError;
  const held = (now) => (local && now - fetchedAt < KEYS_MAX_STALE_MS ? local : undefined);

  async function current(refresh) {
    const now = Date.now();
    const keys = held(now);
    if (keys && !refresh && now - fetchedAt < KEYS_MAX_AGE_MS) return keys;
    if (pending || (attemptedAt !== undefined && now - attemptedAt < KEYS_COOLDOWN_MS)) {
      if (keys) return keys;
      if (!pending) throw unavailable(lastError);
      await pending;
      return current(false);
    }
    attemptedAt = now;
    pending = fetchKeySet(jwksUrl).then(
      (set) => {
        [local, fetchedAt, lastError] = [set, Date.now(), undefined];
      },
      (error) => {
        lastError = error;
      },
    );
    await pending;
    pending = undefined;
    const after = held(Date.now());
    if (!after) throw unavailable(lastError);
    return after;
  }

  return async (protectedHeader, token) => {
    try {
      return await (
        await current(false)
      )(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      return (await current(true))(protectedHeader, token);
    }
  };
}

// One key set per JWKS URL for the life of the process.
const keySets = new Map();

function keySetFor(jwksUrl) {
  let keySet = keySets.get(jwksUrl);
  if (!keySet) keySets.set(jwksUrl, (keySet = workerKeySet(new URL(jwksUrl).href)));
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
 *   without `workloads: true`), "ERR_JWKS_UNAVAILABLE" (the worker's key set could not be fetched:
 *   not the caller's fault), or jose's error codes
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

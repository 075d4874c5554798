import type { AuthError, AuthErrorCode, AuthErrorStatus } from "../errors";
import { messageOf, pageResponse, type Page } from "./page-shell";
import {
  accessDeniedPage,
  methodNotAllowedPage,
  notFoundPage,
  serverErrorPage,
  signInFailedPage,
  signInRequiredPage,
  tryAgainPage,
} from "./page-texts";

/** The JSON `error` per status (500: a bug), a stable name a program can switch on. */
const ERROR_NAME: Record<AuthErrorStatus | 500, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  429: "rate_limited",
  500: "server_error",
  502: "bad_gateway",
  503: "temporarily_unavailable",
};

/**
 * The JSON `message` for callers that are programs, not people (a workload, the security event
 * transmitter): they never get a page, so they get no page's text but one that names what to fix.
 */
const PROGRAM_MESSAGE: Partial<Record<AuthErrorCode, string>> = {
  ERR_WORKLOAD_NOT_ADMITTED:
    'This workload is not allowed here: no access rule for this path and method names it in "workloads".',
  ERR_WORKLOAD_TOKEN_INVALID:
    "The bearer token is not one this service accepts: check its audience, its claims and its age.",
  ERR_WORKLOAD_ISSUER_UNAVAILABLE:
    "The keys of the token's issuer could not be fetched just now; try again in a few seconds.",
  ERR_TRANSMITTER_UNAVAILABLE:
    "The security event transmitter's configuration or keys could not be fetched; deliver the event again later.",
};

/**
 * RFC 8935 2.3: a Security Event Token the receiver refuses gets 400 and `{"err", "description"}`
 * with one of the registered error codes (RFC 8935 2.4). A replay is a request error.
 */
const SET_ERRORS: Partial<Record<AuthErrorCode, { err: string; description: string }>> = {
  ERR_SET_INVALID_REQUEST: {
    err: "invalid_request",
    description: "The request is not a valid Security Event Token (application/secevent+jwt) with jti, iat and events.",
  },
  ERR_SET_INVALID_KEY: {
    err: "invalid_key",
    description: "The SET's signature does not verify with the transmitter's published keys.",
  },
  ERR_SET_INVALID_ISSUER: {
    err: "invalid_issuer",
    description: "The SET's issuer is not this receiver's transmitter.",
  },
  ERR_SET_INVALID_AUDIENCE: {
    err: "invalid_audience",
    description: "The SET's audience is not this receiver's client id.",
  },
  ERR_SET_REPLAYED: { err: "invalid_request", description: "This SET (its jti) was already received." },
};

/** Seconds a client should wait after a 429 (the rate limit's window) or a 503 (a store outage). */
const RETRY_AFTER_SECONDS: Record<number, string> = { 429: "10", 503: "5" };

/**
 * Refusals that last the rest of the UTC day: Workers KV's daily quotas, and each person's or
 * address's share of them, are reset at 00:00 UTC (docs/capacity.md), so retrying sooner fails.
 */
const UNTIL_END_OF_DAY: ReadonlySet<AuthErrorCode> = new Set(["ERR_SESSION_STORE_QUOTA", "ERR_DAILY_SHARE_SPENT"]);
const DAY_MS = 86_400_000;

/** RFC 9110 10.2.3's delay-seconds: when the refusal is expected to end, from `nowMs`. */
function retryAfter(error: AuthError, nowMs: number): string | undefined {
  if (!UNTIL_END_OF_DAY.has(error.code)) return RETRY_AFTER_SECONDS[error.status];
  const endOfDayMs = (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
  return String(Math.max(1, Math.ceil((endOfDayMs - nowMs) / 1000)));
}

/** How the request wants its answer, and the links its page needs. */
export interface ErrorAudience {
  /** A browser will show the answer as a page; else JSON. */
  wantsPage: boolean;
  /** AUTH_PREFIX, for the links that start a sign-in. */
  authPrefix: string;
  /** The request's time, ms since epoch: a refusal that lasts the day says when it ends (`Retry-After`). */
  nowMs: number;
  /** Where "Try again" leads on a 429, 502 or 503 page. Default: reload this page. */
  retryHref?: string;
  /** The page a 403's "Sign in with another account" comes back to: a path of this site. */
  returnTo?: string;
}

function pageFor(error: AuthError, audience: ErrorAudience): Page {
  switch (error.status) {
    case 401:
      return signInRequiredPage(audience.authPrefix);
    case 403:
      return accessDeniedPage(audience.authPrefix, error.code, error.refusedEmail, audience.returnTo);
    case 404:
      return notFoundPage();
    case 405:
      return methodNotAllowedPage();
    case 429:
    case 502:
    case 503:
      return tryAgainPage(error.code, audience.retryHref);
    default:
      return signInFailedPage(audience.authPrefix);
  }
}

/**
 * The one place a refusal becomes a response: a page for browsers, JSON otherwise, both from the
 * page's text for the error's code. The status comes from the code; nothing from the request is
 * shown but the refused account's verified e-mail, escaped, on the page. Cookies the request
 * earned are added by the first middleware (middleware/request-context.ts), on this response as on any other.
 */
export function errorResponse(error: AuthError, audience: ErrorAudience): Response {
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  // RFC 6750 3.1: a bearer token that was presented and refused is an "invalid_token".
  const invalidToken = error.code === "ERR_WORKLOAD_TOKEN_INVALID";
  // RFC 9470 3: a session whose sign-in is too old for the rule; the client signs in again within max_age.
  const tooOld = error.code === "ERR_SIGN_IN_TOO_OLD";
  if (error.status === 401)
    headers["WWW-Authenticate"] = invalidToken
      ? 'Bearer realm="edge-auth", error="invalid_token"'
      : tooOld
        ? `Bearer realm="edge-auth", error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=${error.maxAgeSeconds ?? 0}`
        : 'Bearer realm="edge-auth"';
  const retry = retryAfter(error, audience.nowMs);
  if (retry) headers["Retry-After"] = retry;
  if (error.allow) headers.Allow = error.allow;
  const setError = SET_ERRORS[error.code];
  if (setError) return Response.json(setError, { status: error.status, headers });
  const page = pageFor(error, audience);
  if (audience.wantsPage) return pageResponse(error.status, page, headers);
  const message = PROGRAM_MESSAGE[error.code] ?? messageOf(page);
  headers["Content-Type"] = "application/json; charset=utf-8";
  const name = invalidToken ? "invalid_token" : tooOld ? "insufficient_user_authentication" : ERROR_NAME[error.status];
  return new Response(JSON.stringify({ error: name, message }), { status: error.status, headers });
}

/** Any other failure: a bug. Generic, never the error itself. */
export function internalErrorResponse(wantsPage: boolean): Response {
  const page = serverErrorPage();
  if (wantsPage) return pageResponse(500, page);
  return Response.json(
    { error: ERROR_NAME[500], message: messageOf(page) },
    { status: 500, headers: { "Cache-Control": "no-store" } },
  );
}

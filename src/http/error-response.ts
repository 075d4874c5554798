import type { AuthError, AuthErrorCode } from "../errors";
import { pageResponse, type Page } from "./page-shell";
import {
  accessDeniedPage,
  directoryUnavailablePage,
  methodNotAllowedPage,
  notFoundPage,
  serverErrorPage,
  sessionStoreUnavailablePage,
  signInFailedPage,
  signInRequiredPage,
  unavailablePage,
  type AccessDeniedReason,
} from "./page-texts";

/** The JSON bodies, fixed per status (what a `fetch()` reads). */
const TEXT: Record<number, { message: string; error: string }> = {
  400: {
    message: "The sign-in could not be completed or has expired. Go back to the page you wanted and try again.",
    error: "invalid_request",
  },
  401: { message: "You need to sign in to see this page.", error: "unauthorized" },
  403: {
    message: "This request is not allowed. If you signed in with the wrong account, sign out and use another one.",
    error: "forbidden",
  },
  404: { message: "There is nothing here.", error: "not_found" },
  405: { message: "This address does not accept that kind of request.", error: "method_not_allowed" },
  429: { message: "Too many attempts from your network. Wait a few seconds and try again.", error: "rate_limited" },
  500: {
    message: "This service could not handle the request. The operator has been told in the logs.",
    error: "server_error",
  },
  502: { message: "A service this page depends on did not answer. Try again in a moment.", error: "bad_gateway" },
  503: {
    message: "Your session could not be checked just now. You are still signed in; try again in a few seconds.",
    error: "temporarily_unavailable",
  },
};

/** JSON bodies for codes whose status alone says too little. */
const TEXT_BY_CODE: Partial<Record<AuthErrorCode, { message: string; error: string }>> = {
  ERR_DIRECTORY_UNAVAILABLE: {
    message:
      "Your group memberships could not be checked just now, so access is refused for the moment. Try again in a minute.",
    error: "temporarily_unavailable",
  },
  ERR_WORKLOAD_NOT_ADMITTED: {
    message: 'This workload is not allowed here: no access rule for this path and method names it in "workloads".',
    error: "forbidden",
  },
  ERR_WORKLOAD_TOKEN_INVALID: {
    message: "The bearer token is not one this service accepts: check its audience, its claims and its age.",
    error: "invalid_token",
  },
  ERR_WORKLOAD_ISSUER_UNAVAILABLE: {
    message: "The keys of the token's issuer could not be fetched just now; try again in a few seconds.",
    error: "temporarily_unavailable",
  },
  ERR_TRANSMITTER_UNAVAILABLE: {
    message:
      "The security event transmitter's configuration or keys could not be fetched; deliver the event again later.",
    error: "temporarily_unavailable",
  },
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

/** How the request wants its answer, and the links its page needs. */
export interface ErrorAudience {
  /** A browser will show the answer as a page; else JSON. */
  wantsPage: boolean;
  /** AUTH_PREFIX, for the links that start a sign-in. */
  authPrefix: string;
  /** Where "Try again" leads on a 502 page. Default: reload this page. */
  retryHref?: string;
  /** The page a 403's "Sign in with another account" comes back to: a path of this site. */
  returnTo?: string;
}

function deniedReason(code: AuthErrorCode): AccessDeniedReason {
  if (code === "ERR_ACCOUNT_NOT_ALLOWED") return "not-allowed";
  if (code === "ERR_ACCESS_DENIED") return "path-not-allowed";
  if (code === "ERR_EMAIL_NOT_VERIFIED") return "email-not-verified";
  return "request";
}

function pageFor(error: AuthError, audience: ErrorAudience): Page {
  switch (error.status) {
    case 401:
      return signInRequiredPage(audience.authPrefix);
    case 403:
      return accessDeniedPage(audience.authPrefix, deniedReason(error.code), error.refusedEmail, audience.returnTo);
    case 404:
      return notFoundPage();
    case 405:
      return methodNotAllowedPage();
    case 502:
      return unavailablePage(error.code === "ERR_PROVIDER_UNAVAILABLE" ? "provider" : "origin", audience.retryHref);
    case 503:
      return error.code === "ERR_DIRECTORY_UNAVAILABLE"
        ? directoryUnavailablePage(audience.retryHref)
        : sessionStoreUnavailablePage();
    case 429:
      return unavailablePage("rate-limited");
    default:
      return signInFailedPage(audience.authPrefix);
  }
}

/**
 * The one place a refusal becomes a response: a page for browsers, JSON otherwise. The status
 * comes from the error's code; bodies are fixed per status (and page per code) and show nothing
 * from the request but the refused account's verified e-mail, escaped. Cookies the request
 * earned are added by the caller (index.ts), on this response as on any other.
 */
export function errorResponse(error: AuthError, audience: ErrorAudience): Response {
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  // RFC 6750 3.1: a bearer token that was presented and refused is an "invalid_token".
  if (error.status === 401)
    headers["WWW-Authenticate"] =
      error.code === "ERR_WORKLOAD_TOKEN_INVALID"
        ? 'Bearer realm="edge-auth", error="invalid_token"'
        : 'Bearer realm="edge-auth"';
  const retryAfter = RETRY_AFTER_SECONDS[error.status];
  if (retryAfter) headers["Retry-After"] = retryAfter;
  if (error.allow) headers.Allow = error.allow;
  const setError = SET_ERRORS[error.code];
  if (setError) return Response.json(setError, { status: error.status, headers });
  if (audience.wantsPage) return pageResponse(error.status, pageFor(error, audience), headers);
  const text = TEXT_BY_CODE[error.code] ?? TEXT[error.status] ?? TEXT[400]!;
  headers["Content-Type"] = "application/json; charset=utf-8";
  return new Response(JSON.stringify({ error: text.error, message: text.message }), { status: error.status, headers });
}

/** Any other failure: a bug. Generic, never the error itself. */
export function internalErrorResponse(wantsPage: boolean): Response {
  if (wantsPage) return pageResponse(500, serverErrorPage());
  return Response.json(
    { error: TEXT[500]!.error, message: TEXT[500]!.message },
    { status: 500, headers: { "Cache-Control": "no-store" } },
  );
}

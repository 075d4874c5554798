import type { AuthErrorCode } from "../errors";
import {
  accessDeniedPage,
  methodNotAllowedPage,
  notFoundPage,
  pageResponse,
  serverErrorPage,
  signInFailedPage,
  signInRequiredPage,
  unavailablePage,
  type AccessDeniedReason,
  type Page,
} from "./pages";
import { isNavigation } from "./request-kind";

/** The JSON bodies, fixed per status (what a `fetch()` reads). */
const TEXT: Record<number, { message: string; error: string }> = {
  400: { message: "The sign-in could not be completed or has expired. Go back to the page you wanted and try again.", error: "invalid_request" },
  401: { message: "You need to sign in to see this page.", error: "unauthorized" },
  403: { message: "This request is not allowed. If you signed in with the wrong account, sign out and use another one.", error: "forbidden" },
  404: { message: "There is nothing here.", error: "not_found" },
  405: { message: "This address does not accept that kind of request.", error: "method_not_allowed" },
  429: { message: "Too many attempts from your network. Wait a few seconds and try again.", error: "rate_limited" },
  500: { message: "This service is not configured correctly. The operator has been told in the logs.", error: "server_error" },
  502: { message: "A service this page depends on did not answer. Try again in a moment.", error: "bad_gateway" },
};

const DEFAULT_AUTH_PREFIX = "/auth";

/** What a caller may add to pick the right page. None of it is shown except `email`, escaped. */
export interface ErrorPageOptions {
  /** The refusal's code, when the caller has it: picks the page (the code itself never appears). */
  code?: AuthErrorCode;
  /** 403 for an account refused by the allowlists: its e-mail from the verified ID token. */
  email?: string;
  /** AUTH_PREFIX, for the links that start a sign-in. Default `/auth`. */
  authPrefix?: string;
  /** Where "Try again" leads on a 502 page. Default: reload this page. */
  retryHref?: string;
}

/**
 * Whether the browser will show the answer as a page: GET/HEAD navigations (the gate's rule,
 * request-kind.ts) and also form posts, which are navigations too (`Sec-Fetch-Mode: navigate`,
 * any method). Everything else (fetch, XHR, API clients) gets JSON.
 */
export function wantsPage(request: Request): boolean {
  return isNavigation(request) || request.headers.get("sec-fetch-mode") === "navigate";
}

function deniedReason(code: AuthErrorCode | undefined): AccessDeniedReason {
  if (code === "ERR_ACCOUNT_NOT_ALLOWED") return "not-allowed";
  if (code === "ERR_EMAIL_NOT_VERIFIED") return "email-not-verified";
  return "request";
}

function pageFor(status: number, options: ErrorPageOptions): Page {
  const authPrefix = options.authPrefix ?? DEFAULT_AUTH_PREFIX;
  switch (status) {
    case 401:
      return signInRequiredPage(authPrefix);
    case 403:
      return accessDeniedPage(authPrefix, deniedReason(options.code), options.email);
    case 404:
      return notFoundPage();
    case 405:
      return methodNotAllowedPage();
    case 502: {
      const which = options.code === "ERR_PROVIDER_UNAVAILABLE" ? "provider" : options.code === "ERR_ORIGIN_UNAVAILABLE" ? "origin" : "unknown";
      return unavailablePage(which, options.retryHref);
    }
    default:
      return status >= 500 ? serverErrorPage() : signInFailedPage(authPrefix);
  }
}

/**
 * The one place a refusal becomes a response: a page for navigations, JSON otherwise.
 * The JSON body is fixed per status; the page is fixed per status and `options.code`, and
 * shows nothing from the request but `options.email` (escaped). No code, token or stack trace.
 */
export function errorResponse(request: Request, status: number, setCookies: readonly string[] = [], options: ErrorPageOptions = {}): Response {
  const text = TEXT[status] ?? TEXT[400]!;
  const headers = new Headers();
  for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
  if (status === 401) headers.set("WWW-Authenticate", 'Bearer realm="edge-auth"');
  if (status === 429) headers.set("Retry-After", "10");
  if (!wantsPage(request)) {
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("Cache-Control", "no-store");
    return new Response(JSON.stringify({ error: text.error, message: text.message }), { status, headers });
  }
  return pageResponse(status, pageFor(status, options), headers);
}

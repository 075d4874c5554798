import type { ErrorHandler } from "hono";
import type { AppEnv } from "../app/request-context";
import { AuthError } from "../errors";
import { errorResponse, internalErrorResponse } from "../http/error-response";
import { safeReturnTo } from "../http/return-to";
import { failureFields, logEvent } from "../log";

/**
 * The one error path (Hono's `onError`): an AuthError's code decides the status, the log gets
 * code, detail and cause; anything else is a bug, answered with a generic 500. The cookies the
 * request earned are added by the request-context middleware, on this response as on any other.
 */
export const refusal: ErrorHandler<AppEnv> = (error, c) => {
  const ctx = c.var.ctx;
  const wantsPage = ctx?.request.wantsPage ?? false;
  if (ctx && error instanceof AuthError) {
    // No session at all is how every sign-in starts, and a refresh token refused ends one (logged
    // as refresh_refused, and at warn where it was reused): nothing to warn about.
    const expected =
      error.status === 404 ||
      error.status === 405 ||
      error.code === "ERR_NO_SESSION" ||
      error.code.startsWith("ERR_REFRESH_");
    const level = error.status >= 500 ? "error" : expected ? "info" : "warn";
    logEvent(level, "request_refused", failureFields(error));
    const { url } = ctx.request;
    // Only the gate refuses a page with this code: another account comes back to it, as far as a
    // sign-in would accept it as a return (too long, or not a plain path of ours: the home page),
    // so the page never repeats a request it could not come back to.
    const returnTo =
      error.code === "ERR_ACCESS_DENIED"
        ? { returnTo: safeReturnTo(url.pathname + url.search, ctx.config.authPrefix) }
        : {};
    const retry = ctx.retryHref ? { retryHref: ctx.retryHref } : {};
    const audience = { wantsPage, authPrefix: ctx.config.authPrefix, nowMs: ctx.nowMs };
    return errorResponse(error, { ...audience, ...retry, ...returnTo });
  }
  logEvent("error", "internal_error", failureFields(error));
  return internalErrorResponse(wantsPage);
};

import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ACCESS_COOKIE, parseCookieHeader, REFRESH_COOKIE } from "../http/cookies";
import { errorResponse } from "../http/error-response";
import { pageResponse, signedOutPage, signOutPage } from "../http/pages";

/**
 * GET {AUTH_PREFIX}/logout: a page with a sign-out button, since GET never changes state; with
 * no session cookie at all, the "you are signed out" page instead. (POST answers 303 to `/`, as
 * the contract says, so this is where a signed-out state can be shown.)
 */
export function logoutPage(c: Context<AppEnv>) {
  const authPrefix = c.get("config").authPrefix;
  const hasSession = parseCookieHeader(c.req.header("cookie") ?? null).some(({ name }) => name === ACCESS_COOKIE || name === REFRESH_COOKIE);
  if (!hasSession) return pageResponse(200, signedOutPage(authPrefix));
  // The sign-out form must send our Origin: with `no-referrer` browsers send `Origin: null` on
  // a form post, which the cross-site check refuses (403). `same-origin` keeps the Referer and
  // the Origin inside this site.
  return pageResponse(200, signOutPage(authPrefix), { "Referrer-Policy": "same-origin" });
}

export function methodNotAllowed(allow: string) {
  return (c: Context<AppEnv>) => {
    const response = errorResponse(c.req.raw, 405);
    response.headers.set("Allow", allow);
    return response;
  };
}

export function notFound(c: Context<AppEnv>) {
  return errorResponse(c.req.raw, 404);
}

import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { AuthError } from "../errors";
import { pageResponse } from "../http/page-shell";
import { signedOutPage, signOutPage } from "../http/sign-out-pages";
import { providerSignOutUrl } from "../oidc/end-session";

/**
 * GET {AUTH_PREFIX}/logout: a page with a sign-out button, since GET never changes state; with
 * no session cookie at all, the "You are signed out" page instead, where POST's 303 leads, with a
 * link to sign out of the provider too when it has a way (its end_session_endpoint) and is the only one.
 */
export async function logoutPage(c: Context<AppEnv>) {
  const { config, request, nowMs } = c.var.ctx;
  if (!request.accessCookie && !request.refreshCookie) {
    // With several providers nobody can tell which one this browser used: no link is better than a wrong one.
    const [only, ...others] = config.providers;
    const providerSignOut = only && others.length === 0 ? await providerSignOutUrl(only, nowMs) : undefined;
    return pageResponse(200, signedOutPage(config.authPrefix, providerSignOut));
  }
  // The sign-out form must send our Origin: with `no-referrer` browsers send `Origin: null` on
  // a form post, which the cross-site check refuses (403). `same-origin` keeps the Referer and
  // the Origin inside this site.
  return pageResponse(200, signOutPage(config.authPrefix), { "Referrer-Policy": "same-origin" });
}

export function methodNotAllowed(allow: string) {
  return function methodNotAllowedRoute(): never {
    throw new AuthError("ERR_METHOD_NOT_ALLOWED", { allow });
  };
}

export function notFound(): never {
  throw new AuthError("ERR_NOT_FOUND");
}

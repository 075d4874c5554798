import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AuthError } from "../errors";
import { clearCookie } from "../http/cookies";
import { errorResponse } from "../http/error-response";
import { logEvent } from "../log";
import { completeSignIn } from "../oidc/callback";
import { loginCookieName, readLoginTransaction } from "../oidc/login-transaction";
import { sessionCookies } from "../session/session-cookies";

const MAX_STATE_LENGTH = 512;

/**
 * GET {AUTH_PREFIX}/callback: finishes the sign-in and starts a session. Every failure is a
 * 4xx (502 when the provider fails) with no session cookie; the login cookie is always spent.
 */
export async function callbackRoute(c: Context<AppEnv>) {
  const url = new URL(c.req.url);
  const config = c.get("config");
  const issuer = c.get("issuer");
  const now = c.get("now");
  const state = url.searchParams.getAll("state");
  const spent: string[] = [];
  try {
    for (const name of ["state", "code", "iss", "error"]) {
      if (url.searchParams.getAll(name).length > 1) throw new AuthError(400, "ERR_BAD_REQUEST", `${name} repeated`);
    }
    if (state.length !== 1 || state[0]!.length === 0 || state[0]!.length > MAX_STATE_LENGTH) throw new AuthError(400, "ERR_STATE_MISMATCH", "state missing");
    spent.push(clearCookie(loginCookieName(state[0]!)));
    const tx = await readLoginTransaction(c.req.raw, config, issuer, state[0]!, Math.floor(now / 1000));
    if (!tx) throw new AuthError(400, "ERR_LOGIN_TRANSACTION_MISSING");
    if (tx.state !== state[0]) throw new AuthError(400, "ERR_STATE_MISMATCH");

    const identity = await completeSignIn(url, config, issuer, tx);
    const issued = await c.get("store").createFamily(identity, config.refreshTokenTtlSeconds, now);
    const session = await sessionCookies(config, issuer, issued, now);
    logEvent("info", "sign_in", { sub: identity.sub, family: issued.familyId });
    const headers = new Headers({ Location: tx.returnTo, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
    for (const cookie of [...spent, ...session.setCookies]) headers.append("Set-Cookie", cookie);
    return new Response(null, { status: 302, headers });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    logEvent("warn", "sign_in_failed", { code: error.code, detail: error.detail });
    // A retry must start a new sign-in: this callback's code and login cookie are spent.
    const retryHref = `${config.authPrefix}/login`;
    return errorResponse(c.req.raw, error.status, spent, { code: error.code, email: error.refusedEmail, authPrefix: config.authPrefix, retryHref });
  }
}

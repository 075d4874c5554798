import type { Context } from "hono";
import type { AppEnv, RequestContext } from "../app/request-context";
import { earnSessionCookies } from "../app/session-cookies";
import { AuthError } from "../errors";
import { clearCookie } from "../http/cookies";
import type { Identity } from "../identity";
import { logEvent } from "../log";
import { completeSignIn } from "../oidc/callback";
import { isIssuedStateShape, loginCookieName, readLoginTransaction } from "../oidc/login-transaction";
import { isAllowed } from "../policy/allowlist";

/** Signing in again ends the session whose cookie it replaces; a failure there never blocks the sign-in. */
async function revokeReplacedSession(ctx: RequestContext): Promise<void> {
  const credential = ctx.request.refreshCookie;
  if (!credential) return;
  try {
    const replaced = await ctx.store.peek(credential, ctx.nowMs);
    if (replaced) await ctx.store.revoke(replaced, ctx.nowMs, "replaced");
  } catch (error) {
    logEvent("warn", "replaced_session_not_revoked", { code: error instanceof AuthError ? error.code : "ERR_INTERNAL" });
  }
}

/**
 * GET {AUTH_PREFIX}/callback: finishes the sign-in and starts a session. Every failure is a
 * 4xx (502 when the provider fails) with no session cookie; the login cookie is always spent.
 */
export async function callbackRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const query = ctx.request.url.searchParams;
  // A retry must start a new sign-in: this callback's code and login cookie are spent.
  ctx.retryHref = `${ctx.config.authPrefix}/login`;
  for (const name of ["state", "code", "iss", "error"]) {
    if (query.getAll(name).length > 1) throw new AuthError("ERR_BAD_REQUEST", { detail: `${name} repeated` });
  }
  const state = query.get("state");
  // Only a state of the shape we issue may name a cookie: nothing else reaches a header.
  if (state === null || !isIssuedStateShape(state)) throw new AuthError("ERR_STATE_MISMATCH", { detail: "state missing or malformed" });
  ctx.cookies.push(clearCookie(loginCookieName(state)));
  const tx = await readLoginTransaction(ctx, state);
  if (!tx) throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING");

  const identity: Identity = await completeSignIn(ctx, ctx.request.url, tx);
  ctx.subject = identity.sub;
  if (!isAllowed(ctx.config, identity)) throw new AuthError("ERR_ACCOUNT_NOT_ALLOWED", { detail: `sub ${identity.sub}`, refusedEmail: identity.email });
  await revokeReplacedSession(ctx);
  const issued = await ctx.store.create(identity, ctx.nowMs, ctx.config.refreshTokenTtlSeconds);
  await earnSessionCookies(ctx, issued);
  logEvent("info", "sign_in", { sub: identity.sub, family: issued.familyId });
  return new Response(null, { status: 302, headers: { Location: tx.returnTo, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}

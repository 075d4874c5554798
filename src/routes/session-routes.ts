import type { Context } from "hono";
import { personKey } from "../identity";
import { consumeRateLimit } from "../app/rate-limit";
import type { AppEnv, RequestContext } from "../app/request-context";
import { noSession, refreshFromCookie, resolveSession, verifiedAccess } from "../app/resolve-session";
import { CLEAR_SESSION_COOKIES } from "../app/session-cookies";
import { AuthError } from "../errors";
import { safeReturnTo } from "../http/return-to";
import { logEvent } from "../log";
import { accessDecision } from "../policy/access-decision";
import type { SessionRef } from "../session/store";

/** GET {AUTH_PREFIX}/me: who is signed in (with their policy groups), and until when (the access token's `exp`). */
export async function meRoute(c: Context<AppEnv>) {
  const session = await resolveSession(c.var.ctx);
  if (!session) throw noSession(c.var.ctx);
  const { provider, sub, email, groups } = session.identity;
  const exp = session.accessExpiresAtSeconds;
  return c.json(
    { sub, email, provider, ...(groups ? { groups } : {}), exp, expires_at: new Date(exp * 1000).toISOString() },
    200,
    { "Cache-Control": "no-store" },
  );
}

/** POST {AUTH_PREFIX}/refresh: rotates the refresh cookie and issues a new access token (204), or 401. */
export async function refreshRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  if (!(await refreshFromCookie(ctx))) {
    if (!ctx.cookies.length) ctx.cookies.push(...CLEAR_SESSION_COOKIES);
    throw new AuthError("ERR_NO_SESSION");
  }
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}

/** Where a signed-out browser goes: a public path it asked for, else our "You are signed out" page. */
function afterLogout(ctx: RequestContext): string {
  const asked = ctx.request.url.searchParams.getAll("return_to");
  const path = asked.length === 1 ? safeReturnTo(asked[0], ctx.config.authPrefix) : "/";
  return path !== "/" && accessDecision(ctx.config.policy, path.split("?")[0]!, "GET").public
    ? path
    : `${ctx.config.authPrefix}/logout`;
}

/**
 * POST {AUTH_PREFIX}/logout: revokes this session's family, clears both cookies, 303 to a page
 * that does not sign the person straight back in. `?scope=all` ("sign out everywhere") revokes
 * every session of the signed-in user; it needs a session live in the store, so neither an old
 * stolen refresh token nor a copied access token of an ended session can sign its owner out
 * everywhere. A store outage answers 503 and keeps the cookies,
 * so the person can try again and the session really ends. Every logout counts against the
 * logout rate limit (route table), and a refresh cookie also against the refresh one, as at
 * POST {AUTH_PREFIX}/refresh (429 past either, cookies kept).
 */
export async function logoutRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const { store, nowMs } = ctx;
  const scope = ctx.request.url.searchParams.getAll("scope");
  if (scope.length > 1 || (scope.length === 1 && scope[0] !== "all"))
    throw new AuthError("ERR_BAD_REQUEST", { detail: "unknown logout scope" });

  const access = await verifiedAccess(ctx);
  // A refresh cookie costs a store read, whatever it holds: it counts like one sent to refresh.
  if (ctx.request.refreshCookie) await consumeRateLimit(ctx, "refresh");
  const fromRefresh = ctx.request.refreshCookie ? await store.peek(ctx.request.refreshCookie, nowMs) : undefined;
  const session = fromRefresh ?? (access ? { familyId: access.sid, sub: personKey(access.identity) } : undefined);
  if (scope[0] === "all") {
    // Only a session still live in the store signs its person out everywhere: not an access token
    // whose session has ended (it may be a copy), not an old refresh token.
    const accessRef = access && { familyId: access.sid, sub: personKey(access.identity) };
    const live = async (ref: SessionRef | undefined) => ref !== undefined && (await store.isActive(ref, nowMs));
    const liveSub = (await live(accessRef)) ? accessRef!.sub : (await live(fromRefresh)) ? fromRefresh!.sub : undefined;
    if (liveSub) {
      ctx.subject = liveSub;
      await store.revokeUser(liveSub, nowMs, nowMs, "logout-everywhere");
      logEvent("info", "logout_everywhere", { sub: liveSub });
    }
  } else if (session) {
    ctx.subject = session.sub;
    await store.revoke(session, nowMs, "logout");
    logEvent("info", "logout", { sub: session.sub, family: session.familyId });
  }
  ctx.cookies.push(...CLEAR_SESSION_COOKIES);
  // Back after sign-out must not show protected pages from the browser's cache; "cache" clears
  // only that (not the origin's own cookies, as "cookies" would), and keeps normal caching fast.
  return new Response(null, {
    status: 303,
    headers: { Location: afterLogout(ctx), "Cache-Control": "no-store", "Clear-Site-Data": '"cache"' },
  });
}

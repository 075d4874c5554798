import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AuthError } from "../errors";
import { readCookie, REFRESH_COOKIE } from "../http/cookies";
import { errorResponse } from "../http/error-response";
import { logEvent } from "../log";
import { refreshFromCookie, resolveSession, verifiedAccessToken } from "../session/resolve-session";
import { CLEAR_SESSION_COOKIES } from "../session/session-cookies";

/** GET {AUTH_PREFIX}/me: who is signed in, and until when (the access token's `exp`). */
export async function meRoute(c: Context<AppEnv>) {
  const session = await resolveSession(c.req.raw, c.get("config"), c.get("issuer"), c.get("store"), c.get("now"));
  if (session.kind === "none") return errorResponse(c.req.raw, 401, session.setCookies, { authPrefix: c.get("config").authPrefix });
  const headers = new Headers({ "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  for (const cookie of session.setCookies) headers.append("Set-Cookie", cookie);
  const { sub, email } = session.identity;
  return new Response(JSON.stringify({ sub, email, exp: session.expiresAt, expires_at: new Date(session.expiresAt * 1000).toISOString() }), { headers });
}

/** POST {AUTH_PREFIX}/refresh: rotates the refresh cookie and issues a new access token (204), or 401. */
export async function refreshRoute(c: Context<AppEnv>) {
  const session = await refreshFromCookie(c.req.raw, c.get("config"), c.get("issuer"), c.get("store"), c.get("now"));
  if (session.kind === "none") return errorResponse(c.req.raw, 401, CLEAR_SESSION_COOKIES);
  const headers = new Headers({ "Cache-Control": "no-store" });
  for (const cookie of session.setCookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 204, headers });
}

/**
 * POST {AUTH_PREFIX}/logout: revokes this session's family in KV, clears both cookies, 303 to /.
 * `?scope=all` ("sign out everywhere") revokes every session of the signed-in user; it needs a
 * live session, so an old stolen refresh token cannot sign its owner out everywhere.
 */
export async function logoutRoute(c: Context<AppEnv>) {
  const store = c.get("store");
  const now = c.get("now");
  const scope = new URL(c.req.url).searchParams.getAll("scope");
  if (scope.length > 1 || (scope.length === 1 && scope[0] !== "all")) throw new AuthError(400, "ERR_BAD_REQUEST", "unknown logout scope");

  const token = readCookie(c.req.header("cookie") ?? null, REFRESH_COOKIE);
  const fromRefresh = token ? await store.familyOf(token) : undefined;
  const access = await verifiedAccessToken(c.req.raw, c.get("config"), c.get("issuer"), Math.floor(now / 1000));
  const familyId = fromRefresh?.familyId ?? access?.claims.sid;
  const family = fromRefresh?.family;
  const liveSub = access?.claims.sub ?? (family && family.revokedAt === undefined && family.expiresAt > now ? family.sub : undefined);

  if (scope[0] === "all" && liveSub) {
    const revoked = await store.revokeAllFamilies(liveSub, now);
    logEvent("info", "logout_everywhere", { sub: liveSub, revoked });
  } else if (familyId) {
    const revoked = await store.revokeFamily(familyId, now);
    logEvent("info", "logout", { sub: revoked?.sub, family: familyId });
  }
  // Back after sign-out must not show protected pages from the browser's cache; "cache" clears
  // only that (not the origin's own cookies, as "cookies" would), and keeps normal caching fast.
  const headers = new Headers({ Location: "/", "Cache-Control": "no-store", "Clear-Site-Data": '"cache"' });
  for (const cookie of CLEAR_SESSION_COOKIES) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}

import { ACCESS_COOKIE, clearCookie, REFRESH_COOKIE, serializeCookie } from "../http/cookies";
import type { IssuedSession } from "../session/store";
import { signAccessToken } from "../tokens/access-token";
import type { RequestContext } from "./request-context";

/** Both session cookies, cleared with the same attributes they were set with. */
export const CLEAR_SESSION_COOKIES: readonly string[] = [clearCookie(ACCESS_COOKIE), clearCookie(REFRESH_COOKIE)];

/**
 * Signs an access token for a session just issued (sign-in or rotation) and earns both cookies
 * on the request. Returns the access token's expiry, seconds since epoch.
 */
export async function earnSessionCookies(ctx: RequestContext, issued: IssuedSession): Promise<number> {
  const { config, nowSeconds } = ctx;
  const sessionSecondsLeft = secondsLeft(ctx, issued);
  // An access token never outlives its session (REFRESH_TOKEN_TTL may be the shorter one).
  const accessSeconds = Math.min(config.accessTokenTtlSeconds, sessionSecondsLeft);
  const where = { publicOrigin: ctx.publicOrigin, authPrefix: config.authPrefix };
  const accessToken = await signAccessToken(
    ctx.keys,
    where,
    issued.identity,
    issued.familyId,
    nowSeconds,
    nowSeconds + accessSeconds,
  );
  ctx.cookies.push(
    serializeCookie(ACCESS_COOKIE, accessToken, accessSeconds),
    serializeCookie(REFRESH_COOKIE, issued.credential, sessionSecondsLeft),
  );
  return nowSeconds + accessSeconds;
}

const secondsLeft = (ctx: RequestContext, issued: IssuedSession) =>
  Math.max(0, Math.floor((issued.expiresAtMs - ctx.nowMs) / 1000));

/** Only the refresh cookie of a session just rotated: what a failure after the rotation must not lose. */
export function earnRefreshCookie(ctx: RequestContext, issued: IssuedSession): void {
  ctx.cookies.push(serializeCookie(REFRESH_COOKIE, issued.credential, secondsLeft(ctx, issued)));
}

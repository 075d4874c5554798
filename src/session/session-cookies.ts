import type { Config } from "../config/parse-config";
import { ACCESS_COOKIE, clearCookie, REFRESH_COOKIE, serializeCookie } from "../http/cookies";
import { signAccessToken } from "./access-token";
import type { Identity } from "./identity";
import type { IssuedRefreshToken } from "./refresh-store";

/** The Set-Cookie values for a fresh access JWT plus the refresh token just issued. */
export async function sessionCookies(config: Config, issuer: string, issued: IssuedRefreshToken, now: number) {
  const identity: Identity = { sub: issued.family.sub, email: issued.family.email, ...(issued.family.hd ? { hd: issued.family.hd } : {}) };
  const nowSeconds = Math.floor(now / 1000);
  const sessionSecondsLeft = Math.max(0, Math.floor((issued.family.expiresAt - now) / 1000));
  // An access token never outlives its session (REFRESH_TOKEN_TTL may be the shorter one).
  const accessSeconds = Math.min(config.accessTokenTtlSeconds, sessionSecondsLeft);
  const accessToken = await signAccessToken(config, issuer, identity, issued.familyId, nowSeconds, nowSeconds + accessSeconds);
  return {
    identity,
    accessToken,
    accessExpiresAt: nowSeconds + accessSeconds,
    setCookies: [
      serializeCookie(ACCESS_COOKIE, accessToken, accessSeconds),
      serializeCookie(REFRESH_COOKIE, issued.token, sessionSecondsLeft),
    ],
  };
}

/** Both session cookies, cleared with the same attributes they were set with. */
export const CLEAR_SESSION_COOKIES: readonly string[] = [clearCookie(ACCESS_COOKIE), clearCookie(REFRESH_COOKIE)];

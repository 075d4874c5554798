import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { ACCESS_COOKIE, readCookie, REFRESH_COOKIE } from "../http/cookies";
import { logEvent } from "../log";
import { isAllowed } from "../oidc/allowlist";
import { verifyAccessToken, type AccessClaims } from "./access-token";
import type { Identity } from "./identity";
import type { SessionStore } from "./refresh-store";
import { CLEAR_SESSION_COOKIES, sessionCookies } from "./session-cookies";

export type SessionResolution =
  | { kind: "session"; identity: Identity; sid: string; expiresAt: number; setCookies: readonly string[]; bearer: boolean }
  | { kind: "none"; setCookies: readonly string[] };

/** `Authorization: Bearer <jwt>`, or undefined. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer[ ]+([A-Za-z0-9\-_.]+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function fromClaims(claims: AccessClaims) {
  const identity: Identity = { sub: claims.sub, email: claims.email, ...(claims.hd ? { hd: claims.hd } : {}) };
  return { identity, sid: claims.sid, expiresAt: claims.exp };
}

/** The caller's valid access JWT, from the `__Host-access` cookie or else `Authorization: Bearer`. */
export async function verifiedAccessToken(request: Request, config: Config, issuer: string, nowSeconds: number) {
  const cookieToken = readCookie(request.headers.get("cookie"), ACCESS_COOKIE);
  const fromCookie = cookieToken ? await verifyAccessToken(config, issuer, cookieToken, nowSeconds) : undefined;
  if (fromCookie) return { claims: fromCookie, bearer: false };
  const headerToken = bearerToken(request);
  const fromHeader = headerToken ? await verifyAccessToken(config, issuer, headerToken, nowSeconds) : undefined;
  return fromHeader ? { claims: fromHeader, bearer: true } : undefined;
}

/**
 * Finds the caller's session: a valid access JWT (cookie, then Bearer) with no network at all;
 * failing that, a valid refresh cookie, rotated in place (contract 4.3-4.4). A refused refresh
 * token comes back as "none" with cookie-clearing headers.
 */
export async function resolveSession(request: Request, config: Config, issuer: string, store: SessionStore, now: number): Promise<SessionResolution> {
  const verified = await verifiedAccessToken(request, config, issuer, Math.floor(now / 1000));
  // Off by default: one KV read per request buys revocation before the access token expires.
  const revoked = verified && config.revocationCheck && !(await store.isFamilyActive(verified.claims.sid, now));
  if (verified && !revoked) return { kind: "session", ...fromClaims(verified.claims), setCookies: [], bearer: verified.bearer };
  return refreshFromCookie(request, config, issuer, store, now);
}

/**
 * Rotates the `__Host-refresh` cookie (contract 4.4 and POST {AUTH_PREFIX}/refresh): a session
 * with new cookies, or "none" (with cookie-clearing headers when a token was refused).
 */
export async function refreshFromCookie(request: Request, config: Config, issuer: string, store: SessionStore, now: number): Promise<SessionResolution> {
  const refreshToken = readCookie(request.headers.get("cookie"), REFRESH_COOKIE);
  if (!refreshToken) return { kind: "none", setCookies: [] };
  try {
    const issued = await store.rotate(refreshToken, {
      now,
      graceSeconds: config.refreshReuseGraceSeconds,
      isAllowed: (identity) => isAllowed(config, identity),
    });
    const session = await sessionCookies(config, issuer, issued, now);
    logEvent("info", "session_refreshed", { sub: session.identity.sub, family: issued.familyId });
    return { kind: "session", identity: session.identity, sid: issued.familyId, expiresAt: session.accessExpiresAt, setCookies: session.setCookies, bearer: false };
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    logEvent("info", "refresh_refused", { code: error.code });
    return { kind: "none", setCookies: CLEAR_SESSION_COOKIES };
  }
}

import { AuthError, SESSION_ENDED_CODES } from "../errors";
import { personKey, type Identity } from "../identity";
import { failureFields, logEvent } from "../log";
import { isAllowed } from "../policy/allowlist";
import { verifiedAccessToken, type AccessClaims } from "../tokens/access-token";
import { consumeRateLimit } from "./rate-limit";
import type { RequestContext } from "./request-context";
import { withPolicyGroups } from "./policy-groups";
import { noteRotationHeld } from "./rotation-held";
import { CLEAR_SESSION_COOKIES, earnRefreshCookie, earnSessionCookies } from "./session-cookies";

export interface Session {
  identity: Identity;
  /** The session (refresh-token family) id. */
  sid: string;
  /** When the access token ends, seconds since epoch. */
  accessExpiresAtSeconds: number;
  /** Authenticated by `Authorization: Bearer` (not the cookie). */
  bearer: boolean;
}

const fromClaims = (claims: AccessClaims, bearer: boolean): Session => ({
  identity: claims.identity,
  sid: claims.sid,
  accessExpiresAtSeconds: claims.exp,
  bearer,
});

async function accessFrom(
  ctx: RequestContext,
  token: string | undefined,
  bearer: boolean,
): Promise<Session | undefined> {
  if (!token) return undefined;
  // Outside the try: keys that could not be read (the store's outage) are a 503, not a bad token.
  const keys = ctx.keys;
  try {
    return fromClaims(await verifiedAccessToken(ctx.config, keys, ctx.publicOrigin, token, ctx.nowSeconds), bearer);
  } catch (error) {
    // Kept for the refusal this may lead to, so that its log line says why (jose's code).
    ctx.sessionRefusal ??= error;
    return undefined;
  }
}

/** The caller's valid access JWT, from the `__Host-access` cookie or else `Authorization: Bearer`. */
export async function verifiedAccess(ctx: RequestContext): Promise<Session | undefined> {
  return (await accessFrom(ctx, ctx.request.accessCookie, false)) ?? (await accessFrom(ctx, ctx.request.bearer, true));
}

/**
 * The refusal of a request with no session: a refused refresh token's own (ERR_REFRESH_*, the
 * session ended), else ERR_NO_SESSION (401, never a 403: whoever it was may sign in again as
 * someone else) with the reason, if any, as its cause: the access token's rejection, or the
 * person the rules no longer admit.
 */
export function noSession(ctx: RequestContext): AuthError {
  const refusal = ctx.sessionRefusal;
  if (refusal instanceof AuthError && refusal.status === 401) return refusal;
  return new AuthError("ERR_NO_SESSION", refusal === undefined ? {} : { cause: refusal });
}

/**
 * REVOCATION_CHECK: one store lookup per request, the reads a live connection's check makes (never
 * refused for a spent daily share: that would either let a revoked token through or lock its
 * owner out). A store outage never signs anyone out.
 */
async function stillActive(ctx: RequestContext, session: Session): Promise<boolean> {
  try {
    return (await ctx.store.sessionState(personKey(session.identity), session.sid, ctx.nowMs)).active;
  } catch (error) {
    if (!(error instanceof AuthError) || error.code !== "ERR_SESSION_STORE_UNAVAILABLE") throw error;
    logEvent("warn", "revocation_check_skipped", failureFields(error));
    return true;
  }
}

/**
 * The caller's session (docs/reference.md, "The gate"): a valid access JWT, with no network at all (one
 * store read with REVOCATION_CHECK); failing that, the refresh cookie, rotated in place.
 */
export async function resolveSession(ctx: RequestContext): Promise<Session | undefined> {
  const verified = await verifiedAccess(ctx);
  if (verified && (!ctx.config.revocationCheck || (await stillActive(ctx, verified)))) {
    ctx.subject = personKey(verified.identity);
    return verified;
  }
  return refreshFromCookie(ctx);
}

/**
 * The caller's session, live in the store whatever REVOCATION_CHECK says: for the routes that
 * manage a person's sessions (the list, ending sessions, signing out everywhere), which read the
 * store anyway. An access token whose session has ended (signed out everywhere, ended from another
 * browser) manages nothing, so a copied access cookie cannot watch or end the person's new
 * sessions. A store outage throws (503): these routes need the store.
 */
export async function resolveLiveSession(ctx: RequestContext): Promise<Session | undefined> {
  const verified = await verifiedAccess(ctx);
  const sub = verified && personKey(verified.identity);
  if (verified && sub && (await ctx.store.isActive({ familyId: verified.sid, sub }, ctx.nowMs))) {
    ctx.subject = sub;
    return verified;
  }
  return refreshFromCookie(ctx);
}

/**
 * Rotates the `__Host-refresh` cookie (the gate, and POST {AUTH_PREFIX}/refresh): a session
 * with its new cookies earned on the request, or undefined when there is none (a refused
 * token's cookies are cleared). Every attempt counts against the client's refresh rate limit,
 * so random cookies cannot buy unlimited store reads. A store outage throws (503), cookies kept.
 */
export async function refreshFromCookie(ctx: RequestContext): Promise<Session | undefined> {
  const credential = ctx.request.refreshCookie;
  if (!credential) return undefined;
  await consumeRateLimit(ctx, "refresh");
  try {
    const rotated = await ctx.store.rotate(credential, ctx.nowMs, ctx.config.refreshReuseGraceSeconds);
    ctx.subject = rotated.sub;
    // Groups are looked up again at every refresh (someone removed from a group loses it now).
    // If the directory fails, the successor's refresh cookie is still earned: the old token
    // would count as reused once the grace period is over, and an outage signs nobody out.
    const identity = await withPolicyGroups(ctx, rotated.identity).catch((error: unknown) => {
      earnRefreshCookie(ctx, rotated);
      throw error;
    });
    const issued = { ...rotated, identity };
    // Policy is re-applied at every refresh: the rules or groups may have changed since sign-in.
    if (!isAllowed(ctx.config.policy, identity)) {
      await ctx.store.revoke(issued, ctx.nowMs, "not-allowed");
      throw new AuthError("ERR_ACCOUNT_NOT_ALLOWED", { detail: "no rule admits the person any more" });
    }
    const accessExpiresAtSeconds = await earnSessionCookies(ctx, issued);
    if (issued.held) noteRotationHeld(ctx, issued.held);
    ctx.refreshed = !issued.held;
    const held = issued.held ? { held: issued.held } : {};
    logEvent("info", "session_refreshed", { sub: issued.sub, family: issued.familyId, ...held });
    return { identity, sid: issued.familyId, accessExpiresAtSeconds, bearer: false };
  } catch (error) {
    if (!(error instanceof AuthError) || !SESSION_ENDED_CODES.has(error.code)) throw error;
    logEvent("info", "refresh_refused", failureFields(error));
    ctx.sessionRefusal = error;
    ctx.cookies.push(...CLEAR_SESSION_COOKIES);
    return undefined;
  }
}

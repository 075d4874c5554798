import { AuthError } from "../errors";
import { deviceName } from "../http/device-name";
import { placeName } from "../http/place-name";
import { personKey, type Identity } from "../identity";
import { failureFields, logEvent } from "../log";
import type { SignInFacts } from "../session/store";
import { isQuotaRefusal } from "../session/family-model";
import type { RequestContext } from "./request-context";
import type { Session } from "./resolve-session";
import { earnSessionCookies } from "./session-cookies";

/** Signing in again ends the session whose cookie it replaces; a failure there never blocks the sign-in. */
async function revokeReplacedSession(ctx: RequestContext): Promise<void> {
  const credential = ctx.request.refreshCookie;
  if (!credential) return;
  try {
    const replaced = await ctx.store.peek(credential, ctx.nowMs);
    if (replaced) await ctx.store.revoke(replaced, ctx.nowMs, "replaced");
  } catch (error) {
    logEvent("warn", "replaced_session_not_revoked", failureFields(error));
  }
}

/** What the person will recognise this session by on their sessions page: never the IP address. */
function signInFacts(request: Request): SignInFacts {
  const device = deviceName(request.headers.get("user-agent"));
  const place = placeName(request.cf as { country?: unknown; city?: unknown } | undefined);
  return { ...(device ? { device } : {}), ...(place ? { place } : {}) };
}

/**
 * Starts a session for someone who just signed in (the callback, or a preview's relay): ends
 * the one it replaces, creates the family, earns both cookies on the request.
 */
export async function startSession(ctx: RequestContext, identity: Identity, via: "callback" | "relay"): Promise<void> {
  // Side by side: ending the old session never fails the sign-in, and the new one does not need it ended first.
  const signIn = signInFacts(ctx.raw);
  const [, issued] = await Promise.all([
    revokeReplacedSession(ctx),
    ctx.store.create(identity, ctx.nowMs, ctx.config.refreshTokenTtlSeconds, signIn),
  ]);
  await earnSessionCookies(ctx, issued);
  logEvent("info", "sign_in", {
    provider: identity.provider,
    sub: identity.sub,
    family: issued.familyId,
    ...(via === "relay" ? { via } : {}),
  });
}

/**
 * Ends every session of the person but this browser's, however many (a listing shows only the
 * newest, and with KV lags behind sign-ins elsewhere): a fresh session for this browser, then the
 * person's "sign out everywhere" mark just before it, which ends every other one, and this
 * browser's old one, in one write. The fresh session keeps the old one's absolute end. While the
 * store refuses writes for the day no session can start: the sessions the list shows are ended
 * one by one instead (deletions), and this browser keeps its session.
 */
export async function keepOnlyThisSession(ctx: RequestContext, session: Session): Promise<void> {
  const { store, nowMs } = ctx;
  const sub = personKey(session.identity);
  const state = await store.sessionState(sub, session.sid, nowMs);
  if (!state.active) throw new AuthError("ERR_NO_SESSION");
  // The mark ends sessions started at or before nowMs; the fresh one starts a millisecond later.
  const startMs = nowMs + 1;
  const ttlSeconds = Math.max(1, Math.floor((state.expiresAtMs - startMs) / 1000));
  try {
    const issued = await store.create(state.identity, startMs, ttlSeconds, signInFacts(ctx.raw));
    await store.revokeUser(sub, nowMs, nowMs, "ended-by-owner");
    // Whatever this request earned before (a rotation) belongs to the session just ended.
    ctx.cookies.splice(0, ctx.cookies.length);
    await earnSessionCookies(ctx, { ...issued, identity: session.identity });
    logEvent("info", "sessions_ended_by_owner", { sub, family: issued.familyId, replaced: session.sid });
  } catch (error) {
    if (!isQuotaRefusal(error)) throw error;
    const listed = await store.listSessions(sub, nowMs, session.sid);
    const others = listed.map((summary) => summary.familyId).filter((id) => id !== session.sid);
    await Promise.all(others.map((familyId) => store.revoke({ familyId, sub }, nowMs, "ended-by-owner")));
    logEvent("info", "sessions_ended_by_owner", { sub, count: others.length, code: "ERR_SESSION_STORE_QUOTA" });
  }
}

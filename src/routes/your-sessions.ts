import type { Context } from "hono";
import { personKey } from "../identity";
import type { AppEnv, RequestContext } from "../app/request-context";
import { noSession, resolveLiveSession, type Session } from "../app/resolve-session";
import { signInRedirect } from "../app/sign-in-redirect";
import { CLEAR_SESSION_COOKIES } from "../app/session-cookies";
import { keepOnlyThisSession } from "../app/start-session";
import { AuthError } from "../errors";
import { pageResponse } from "../http/page-shell";
import { readBodyText } from "../http/request-body";
import {
  sessionsPage,
  UNKNOWN_DEVICE,
  UNKNOWN_PLACE,
  type EndedSessions,
  type SessionView,
} from "../http/sessions-page";
import { logEvent } from "../log";
import type { SessionSummary } from "../session/store";

/** A family id as the worker makes them (session/family-model.ts, newFamilyId); anything else names no session. */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
/** `id=<22 characters>` or `others=1`, with room for a browser's encoding: nothing longer is read. */
const MAX_FORM_BYTES = 256;
/** How long a new sign-in may take to appear in a KV listing (KV's propagation, docs/what-people-see.md, "Your sessions"). */
const KV_LISTING_LAG_SECONDS = 60;

const noStore = { "Cache-Control": "no-store" } as const;

function wantsJson(ctx: RequestContext): boolean {
  return (ctx.raw.headers.get("accept") ?? "").toLowerCase().includes("application/json");
}

async function signedInOrThrow(ctx: RequestContext): Promise<Session> {
  const session = await resolveLiveSession(ctx);
  if (!session) throw new AuthError("ERR_NO_SESSION");
  return session;
}

function view(summary: SessionSummary, currentId: string): SessionView {
  return {
    id: summary.familyId,
    current: summary.familyId === currentId,
    createdAt: new Date(summary.createdAtMs).toISOString(),
    lastActiveAt: new Date(summary.lastActiveAtMs).toISOString(),
    device: summary.device ?? UNKNOWN_DEVICE,
    place: summary.place ?? UNKNOWN_PLACE,
  };
}

/**
 * GET {AUTH_PREFIX}/sessions: the signed-in person's own active sessions, as a page for a
 * navigation and as JSON otherwise. No session: a navigation goes to sign in (and comes back
 * here), anything else gets 401.
 */
export async function sessionsRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const { config, request } = ctx;
  const session = await resolveLiveSession(ctx);
  if (!session) {
    if (!request.navigation) throw noSession(ctx);
    ctx.outcome = noSession(ctx).code;
    return signInRedirect(ctx);
  }
  ctx.subject = personKey(session.identity);
  const summaries = await ctx.store.listSessions(ctx.subject, ctx.nowMs, session.sid);
  // This browser's own session first, then the others, most recently used first.
  const sessions = summaries
    .map((summary) => view(summary, session.sid))
    .sort((a, b) => Number(b.current) - Number(a.current));
  if (!request.navigation || wantsJson(ctx)) return c.json({ sessions }, 200, noStore);
  const lag = config.sessionStore === "kv" ? KV_LISTING_LAG_SECONDS : 0;
  const ended = endedFrom(ctx);
  const { accessTokenTtlSeconds, revocationCheck, sessionStore } = config;
  const notice = ended && { ended, accessTokenTtlSeconds, revocationCheck, sessionStore };
  const page = sessionsPage(config.authPrefix, session.identity.email, sessions, lag, notice);
  // The forms must send our Origin (see routes/pages.ts, logoutPage): `same-origin` keeps it.
  return pageResponse(200, page, { "Referrer-Policy": "same-origin" });
}

/** The revoke route's redirect back here says what it ended; only its two values are read, never shown. */
const ENDED: Readonly<Record<string, EndedSessions>> = { "1": "one", others: "others" };

function endedFrom(ctx: RequestContext): EndedSessions | undefined {
  const values = new URL(ctx.raw.url).searchParams.getAll("ended");
  return values.length === 1 && Object.hasOwn(ENDED, values[0]!) ? ENDED[values[0]!] : undefined;
}

/** The form: exactly one of `id=<session id>` or `others=1`; anything else is a bad request. */
async function readRevokeForm(ctx: RequestContext): Promise<{ id: string } | { others: true }> {
  const text = await readBodyText(ctx.raw, MAX_FORM_BYTES);
  if (text === undefined) throw new AuthError("ERR_BAD_REQUEST", { detail: "sessions/revoke form too long" });
  const form = new URLSearchParams(text);
  const ids = form.getAll("id");
  const others = form.getAll("others");
  if (ids.length === 1 && others.length === 0 && SESSION_ID.test(ids[0]!)) return { id: ids[0]! };
  if (ids.length === 0 && others.length === 1 && others[0] === "1") return { others: true };
  throw new AuthError("ERR_BAD_REQUEST", { detail: "sessions/revoke needs id or others=1" });
}

/**
 * POST {AUTH_PREFIX}/sessions/revoke: ends one of the person's sessions (`id`) or every other
 * one (`others=1`: this browser continues as a fresh session, with new cookies); 303 back to the
 * list, 204 for JSON. Ending the current session is a logout. An id that is not one of the person's sessions (another person's, an ended one, an
 * unknown one) changes nothing and gets the same answer.
 */
export async function revokeSessionsRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const { store, nowMs, config } = ctx;
  const form = await readRevokeForm(ctx);
  const session = await signedInOrThrow(ctx);
  const sub = personKey(session.identity);
  ctx.subject = sub;
  if ("id" in form && form.id === session.sid) {
    await store.revoke({ familyId: session.sid, sub }, nowMs, "logout");
    logEvent("info", "logout", { sub, family: session.sid });
    // Whatever this request earned before (a rotation) belongs to the session just ended.
    ctx.cookies.splice(0, ctx.cookies.length, ...CLEAR_SESSION_COOKIES);
    if (wantsJson(ctx)) return new Response(null, { status: 204, headers: noStore });
    return new Response(null, {
      status: 303,
      headers: { Location: `${config.authPrefix}/logout`, ...noStore, "Clear-Site-Data": '"cache"' },
    });
  }
  if ("id" in form) {
    // revoke() checks the family is this person's: another person's id is left as it was.
    await store.revoke({ familyId: form.id, sub }, nowMs, "ended-by-owner");
    logEvent("info", "sessions_ended_by_owner", { sub, count: 1 });
  } else {
    await keepOnlyThisSession(ctx, session);
  }
  if (wantsJson(ctx)) return new Response(null, { status: 204, headers: noStore });
  const back = `${config.authPrefix}/sessions?ended=${"id" in form ? "1" : "others"}`;
  return new Response(null, { status: 303, headers: { Location: back, ...noStore } });
}

import { AuthError } from "../errors";
import { deviceName } from "../http/device-name";
import { placeName } from "../http/place-name";
import type { Identity } from "../identity";
import { logEvent } from "../log";
import type { SignInFacts } from "../session/store";
import type { RequestContext } from "./request-context";
import { earnSessionCookies } from "./session-cookies";

/** Signing in again ends the session whose cookie it replaces; a failure there never blocks the sign-in. */
async function revokeReplacedSession(ctx: RequestContext): Promise<void> {
  const credential = ctx.request.refreshCookie;
  if (!credential) return;
  try {
    const replaced = await ctx.store.peek(credential, ctx.nowMs);
    if (replaced) await ctx.store.revoke(replaced, ctx.nowMs, "replaced");
  } catch (error) {
    logEvent("warn", "replaced_session_not_revoked", {
      code: error instanceof AuthError ? error.code : "ERR_INTERNAL",
    });
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

import { AuthError } from "../errors";
import { personKey } from "../identity";
import { logEvent } from "../log";
import { getTransmitter } from "../risc/transmitter";
import {
  CLOCK_TOLERANCE_SECONDS,
  compactSet,
  REVOKING_EVENTS,
  SET_MAX_AGE_SECONDS,
  VERIFICATION_EVENT,
  verifySecurityEvent,
} from "../risc/security-event";
import type { RequestContext } from "./request-context";
import { canonicalIssuer } from "../util/issuer-rules";

/**
 * The moment an event revokes up to, ms: its `iat`, so a late delivery does not end sessions
 * started after the event, plus the clock tolerance (a session started at the event by our clock,
 * a little ahead of the transmitter's, still ends); never in the future, and never before the
 * longest a session lives (REFRESH_TOKEN_TTL: older sessions have ended on their own).
 */
function revokedUpToMs(iatSeconds: number, nowMs: number, refreshTokenTtlSeconds: number): number {
  const atMs = (iatSeconds + CLOCK_TOLERANCE_SECONDS) * 1000;
  return Math.min(nowMs, Math.max(atMs, nowMs - refreshTokenTtlSeconds * 1000));
}

/**
 * Receives one Security Event Token (docs/operating.md, "Accounts Google disables (RISC)"; RFC 8417, RFC 8935 push, Google's RISC): verified
 * against the provider's transmitter, refused if its `jti` was already received, then every event
 * about an account of our provider revokes all that account's sessions started up to the event's
 * `iat` (`store.revokeUser`; revokedUpToMs).
 * Verification events are logged and change nothing; other events are accepted and ignored.
 * The `jti` is recorded only once everything is applied, so a store outage (503) lets the
 * transmitter deliver it again instead of losing it.
 */
export async function receiveSecurityEvent(ctx: RequestContext, token: string): Promise<void> {
  const { config, store, nowMs } = ctx;
  const set = compactSet(token);
  // RISC is Google's: its events are about Google accounts, for our client at Google.
  const google = config.providers.find((provider) => provider.google);
  if (!google) throw new AuthError("ERR_NOT_FOUND", { detail: "no Google provider to receive security events for" });
  const transmitter = await getTransmitter(google.issuer, nowMs);
  const event = await verifySecurityEvent(set, transmitter, google.clientId, ctx.nowSeconds);
  const eventId = `${transmitter.issuer}\n${event.jti}`;
  if (await store.hasEvent(eventId, nowMs))
    throw new AuthError("ERR_SET_REPLAYED", { detail: `jti ${event.jti.slice(0, 64)}` });

  for (const { type, subject, state } of event.events) {
    if (type === VERIFICATION_EVENT) {
      logEvent("info", "security_event_verification", { jti: event.jti.slice(0, 64), state });
    } else if (!REVOKING_EVENTS.has(type) || !subject) {
      logEvent("info", "security_event_ignored", { jti: event.jti.slice(0, 64), type: type.slice(0, 120) });
    } else if (canonicalIssuer(subject.iss) !== canonicalIssuer(google.issuer)) {
      // An account of another issuer: none of our sessions can belong to it.
      logEvent("warn", "security_event_other_issuer", { jti: event.jti.slice(0, 64), type });
    } else {
      const upToMs = revokedUpToMs(event.iatSeconds, nowMs, config.refreshTokenTtlSeconds);
      await store.revokeUser(personKey({ provider: google.id, sub: subject.sub }), upToMs, nowMs, "risc");
      logEvent("warn", "sessions_revoked_by_provider", {
        provider: google.id,
        sub: subject.sub,
        type,
        jti: event.jti.slice(0, 64),
      });
    }
  }
  await store.recordEvent(eventId, nowMs + SET_MAX_AGE_SECONDS * 1000, nowMs);
}

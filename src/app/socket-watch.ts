import type { Config } from "../config/parse-config";
import { personKey } from "../identity";
import { isAdmitted, type AccessDecision } from "../policy/access-decision";
import { isAllowed } from "../policy/allowlist";
import { SOCKET_NOT_ADMITTED, SOCKET_SESSION_ENDED, type SocketWatch } from "../proxy/websocket-relay";
import { withPolicyGroups } from "./policy-groups";
import type { RequestContext } from "./request-context";
import type { Session } from "./resolve-session";

/**
 * Seconds between two checks of a relayed WebSocket's session: ACCESS_TOKEN_TTL, the longest a
 * revoked session's access token is honoured anyway. With the Durable Object store, reads are
 * exact and cheap, so at most 60 s: a revocation ends the socket within a minute.
 */
export const DURABLE_OBJECT_SOCKET_CHECK_SECONDS = 60;

export function socketCheckSeconds(config: Config): number {
  const ttl = config.accessTokenTtlSeconds;
  return config.sessionStore === "durable-object" ? Math.min(ttl, DURABLE_OBJECT_SOCKET_CHECK_SECONDS) : ttl;
}

/**
 * What keeps a relayed WebSocket open: the reads a refresh makes, without its cookies and without
 * rotating. The session must still be live (not signed out, revoked, or past its end: else 4401),
 * and the person, with their groups looked up again as a refresh does, must still be let in by the
 * policy and by every rule that decided the socket's path (else 4403).
 */
export function socketWatchFor(
  ctx: RequestContext,
  decision: AccessDecision,
  session: Session,
  everyMs = socketCheckSeconds(ctx.config) * 1000,
): SocketWatch {
  const { config, store } = ctx;
  const sub = personKey(session.identity);
  return {
    everyMs,
    async check() {
      const nowMs = Date.now();
      const state = await store.sessionState(sub, session.sid, nowMs);
      if (!state.active) return { open: false, close: SOCKET_SESSION_ENDED };
      const identity = await withPolicyGroups({ ...ctx, nowMs, nowSeconds: Math.floor(nowMs / 1000) }, state.identity);
      const admitted = isAllowed(config.policy, identity) && isAdmitted(decision, identity);
      if (!admitted) return { open: false, close: SOCKET_NOT_ADMITTED };
      return { open: true, untilMs: state.expiresAtMs };
    },
  };
}

import { AuthError } from "../errors";
import { personKey } from "../identity";
import { sha256 } from "../util/hash";
import type { SessionFamilies, Settled } from "./session-families";
import type { IssuedSession, SessionRef, SessionStore } from "./store";

/** base64url SHA-256 of the person's key (personKey()): the name of the person's Durable Object. */
const USER_NAME = /^[A-Za-z0-9_-]{43}$/;

/** The object that records security events: a `sub` no provider issues (it has a space and a colon). */
const EVENTS_OBJECT = "security events: received";

/** A call to an object: a failed call (the network, the object) means "unavailable". */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    throw new AuthError("ERR_SESSION_STORE_UNAVAILABLE", { cause });
  }
}

/**
 * Sessions in SQLite-backed Durable Objects, one per person (SESSION_STORE=durable-object).
 * The credential in the cookie is `<user object name>.<familyId>.<token>`, so a refresh finds
 * its object without a lookup.
 */
export function createDurableObjectSessionStore(namespace: DurableObjectNamespace<SessionFamilies>): SessionStore {
  const byName = (name: string) => namespace.get(namespace.idFromName(name));
  const forSub = async (sub: string) => byName(await sha256(sub));
  /** The object a credential names, and the credential as the object knows it. */
  const route = (credential: string) => {
    const dot = credential.indexOf(".");
    const name = credential.slice(0, dot);
    return dot > 0 && USER_NAME.test(name) ? { name, stub: byName(name), inner: credential.slice(dot + 1) } : undefined;
  };
  const sessionState = (session: SessionRef, nowMs: number) =>
    call(async () => (await forSub(session.sub)).sessionState(session, nowMs));

  return {
    async create(identity, nowMs, ttlSeconds, signIn) {
      const name = await sha256(personKey(identity));
      const issued = await call(() => byName(name).create(identity, nowMs, ttlSeconds, signIn));
      return { ...issued, credential: `${name}.${issued.credential}` };
    },
    async rotate(credential, nowMs, graceSeconds) {
      const target = route(credential);
      if (!target) throw new AuthError("ERR_REFRESH_INVALID", { detail: "malformed" });
      // A refusal comes back as its code (classes do not cross RPC): thrown again here.
      const settled = await call<Settled<IssuedSession>>(() => target.stub.rotate(target.inner, nowMs, graceSeconds));
      if (!settled.ok) throw new AuthError(settled.code, { detail: settled.detail });
      return { ...settled.value, credential: `${target.name}.${settled.value.credential}` };
    },
    async peek(credential) {
      const target = route(credential);
      return target ? call(() => target.stub.peek(target.inner)) : undefined;
    },
    isActive: async (session, nowMs) => (await sessionState(session, nowMs)).active,
    sessionState: (sub, sid, nowMs) => sessionState({ familyId: sid, sub }, nowMs),
    revoke: (session, nowMs, because) => call(async () => (await forSub(session.sub)).revoke(session, nowMs, because)),
    listSessions: (sub, nowMs, current) => call(async () => (await forSub(sub)).listSessions(sub, nowMs, current)),
    revokeUser: (sub, notBeforeMs, nowMs, because) =>
      call(async () => (await forSub(sub)).revokeUser(sub, notBeforeMs, nowMs, because)),
    // Security events are few: one object keeps them all, named like no person's can be.
    hasEvent: (eventId, nowMs) =>
      call(async () => (await forSub(EVENTS_OBJECT)).hasEvent(await sha256(eventId), nowMs)),
    recordEvent: (eventId, untilMs, nowMs) =>
      call(async () => (await forSub(EVENTS_OBJECT)).recordEvent(await sha256(eventId), untilMs, nowMs)),
    // In the person's own object: exact, whatever the location.
    claimOnce: (sub, value, nowMs, expiresAtMs) =>
      call(async () => (await forSub(sub)).claimOnce(await sha256(value), nowMs, expiresAtMs)),
  };
}

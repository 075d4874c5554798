import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import { createKvSessionStore, newFamilyCache } from "../../../src/session/kv-store";
import type { SessionFamilies } from "../../../src/session/session-families";
import type { SessionStore } from "../../../src/session/store";
import { createCloudflareKv, FREE_PLAN_DAILY_LIMITS } from "../../support/cloudflare-kv";
import { testEnv } from "../../support/workerd/helpers";

/**
 * A revocation made by one isolate is seen by every other isolate's checks (a relayed socket's
 * sessionState, REVOCATION_CHECK's isActive) within the documented bound: at once on the Durable
 * Object store, within KV's propagation (60 s) on KV, including while KV refuses writes for the
 * day and revocations are deletions. Two isolates are two stores with caches of their own over
 * one KV namespace (or one Durable Object namespace).
 */
const TTL_SECONDS = 30 * 86_400;
const KV_PROPAGATION_MS = 60_000;
let people = 0;

afterEach(() => vi.useRealTimers());

/** Two isolates over one store; with KV, at two locations, on the Free plan with today's writes spent after `writes`. */
function twoIsolates(kind: "kv" | "durable-object", writes = 3) {
  if (kind === "durable-object") {
    const namespace = (env as unknown as { SESSION_FAMILIES: DurableObjectNamespace<SessionFamilies> })
      .SESSION_FAMILIES;
    return { a: createDurableObjectSessionStore(namespace), b: createDurableObjectSessionStore(namespace), lagMs: 0 };
  }
  const kv = createCloudflareKv(testEnv.SESSIONS, {
    clock: () => Date.now(),
    dailyLimits: { ...FREE_PLAN_DAILY_LIMITS, writes },
  });
  // Each call is an invocation of its own: a binding per call, the isolate's cache kept.
  const across = (location: string): SessionStore => {
    const cache = newFamilyCache();
    return new Proxy({} as SessionStore, {
      get: (_target, method: keyof SessionStore) => {
        const store = createKvSessionStore(kv.binding(location), TTL_SECONDS, cache);
        return store[method];
      },
    });
  };
  return { a: across("lisbon"), b: across("tokyo"), lagMs: KV_PROPAGATION_MS, kv };
}

const someone = () => ({
  provider: "default",
  sub: `isolates-${Date.now()}-${++people}`,
  email: `i${people}@example.org`,
});

describe.each(["kv", "durable-object"] as const)("revocations seen by another isolate (%s store)", (kind) => {
  it.each([
    ["a logout", (a: SessionStore, s: { familyId: string; sub: string }, now: number) => a.revoke(s, now, "logout")],
    [
      "a sign-out everywhere",
      (a: SessionStore, s: { familyId: string; sub: string }, now: number) =>
        a.revokeUser(s.sub, now, now, "logout-everywhere"),
    ],
  ])("while writes are refused for the day: %s ends the session for the other isolate's checks", async (_name, end) => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2042, 0, 5 + people, 9) });
    const { a, b, lagMs } = twoIsolates(kind);
    const session = await a.create(someone(), Date.now(), TTL_SECONDS);
    vi.setSystemTime(Date.now() + lagMs + 1_000);
    // The other isolate has checked the session before: it knows (and caches) the family.
    expect((await b.sessionState(session.sub, session.familyId, Date.now())).active).toBe(true);
    expect(await b.isActive(session, Date.now())).toBe(true);
    vi.setSystemTime(Date.now() + 2_000);
    await end(a, session, Date.now());
    vi.setSystemTime(Date.now() + lagMs + 1_000);
    expect(await b.sessionState(session.sub, session.familyId, Date.now())).toEqual({ active: false });
    expect(await b.isActive(session, Date.now())).toBe(false);
    const refused = await b.rotate(session.credential, Date.now(), 30).catch((error: { code: string }) => error.code);
    expect(["ERR_REFRESH_INVALID", "ERR_REFRESH_REVOKED"]).toContain(refused);
  });
});

describe("revocations while KV refuses writes for the day delete each family once", () => {
  it("a repeated logout or sign-out everywhere deletes no family again", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2042, 1, 7, 9) });
    const sessions = 3;
    const kv = createCloudflareKv(testEnv.SESSIONS, {
      clock: () => Date.now(),
      dailyLimits: { ...FREE_PLAN_DAILY_LIMITS, writes: 3 * sessions },
    });
    // Every call is an invocation of another isolate that has seen the sessions before (it caches their families).
    const caches = Array.from({ length: 12 }, () => newFamilyCache());
    let next = 0;
    const store = () => createKvSessionStore(kv.binding(), TTL_SECONDS, caches[next++ % caches.length]);
    const person = someone();
    const issued = [];
    for (let i = 0; i < sessions; i++) {
      issued.push(await store().create(person, Date.now(), TTL_SECONDS));
      vi.setSystemTime(Date.now() + 1_000);
    }
    expect(kv.today().writes).toBe(3 * sessions);
    for (const _cache of caches)
      for (const session of issued) expect(await store().isActive(session, Date.now())).toBe(true);
    await store().revoke(issued[0]!, Date.now(), "logout");
    expect(kv.today().deletes).toBe(1);
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(Date.now() + 1_000);
      await store().revoke(issued[0]!, Date.now(), "logout");
    }
    expect(kv.today().deletes).toBe(1);
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(Date.now() + 1_000);
      await store().revokeUser(person.sub, Date.now(), Date.now(), "logout-everywhere");
    }
    // The two families still there, once each; the one already gone, never again.
    expect(kv.today().deletes).toBe(sessions);
    for (const session of issued) expect(await store().isActive(session, Date.now())).toBe(false);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/errors";
import type { Identity } from "../../src/identity";
import { createDurableObjectSessionStore } from "../../src/session/durable-object-store";
import { createKvSessionStore, newFamilyCache } from "../../src/session/kv-store";
import type { SessionStore } from "../../src/session/store";
import { createCloudflareKv, type CloudflareKv } from "../support/cloudflare-kv";
import { testEnv } from "./helpers";

/**
 * One suite, both stores: what every session store promises. KV runs on a model of Cloudflare's
 * KV (one write per key per second, 1,000 operations per invocation, outages), never on
 * miniflare's KV alone; the Durable Object runs in workerd. The clock is the test's.
 */
const GRACE_SECONDS = 30;
const TTL_SECONDS = 3600;
let users = 0;
const someone = (): Identity => ({ sub: `store-${Date.now()}-${++users}`, email: `p${users}@example.com` });

interface Harness {
  /** A store as one invocation sees it (a new invocation each call). */
  store(): SessionStore;
  now: () => number;
  advance(ms: number): void;
  /** Makes every store call fail as an unreachable store would. */
  outage(on: boolean): void;
}

function kvHarness(): Harness & { kv: CloudflareKv } {
  let now = Date.now();
  const kv = createCloudflareKv(testEnv.SESSIONS as unknown as KVNamespace, { clock: () => now });
  return { kv, store: () => createKvSessionStore(kv.binding("here") as unknown as KVNamespace, TTL_SECONDS), now: () => now, advance: (ms) => (now += ms), outage: (on) => kv.setOutage(on) };
}

/**
 * KV as one isolate sees it across invocations: families it wrote or read are known without a
 * read (the isolate's cache, as sessionStoreFor keeps it), so a rotation makes one round of
 * reads; each invocation still gets its own binding (its own 1,000 operations).
 */
function kvOneIsolateHarness(): Harness {
  const harness = kvHarness();
  const families = newFamilyCache();
  return { ...harness, store: () => createKvSessionStore(harness.kv.binding("here") as unknown as KVNamespace, TTL_SECONDS, families) };
}

function durableObjectHarness(): Harness {
  let now = Date.now();
  let down = false;
  const namespace = (env as unknown as { SESSION_FAMILIES: DurableObjectNamespace }).SESSION_FAMILIES;
  // An outage is the network between the worker and the object: its stub's calls reject.
  const flaky = new Proxy(namespace, {
    get(target, property) {
      if (property !== "get") return Reflect.get(target, property).bind(target);
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, { get: (s, name) => (down && name !== "then" ? () => Promise.reject(new Error("Network connection lost.")) : Reflect.get(s, name)) });
      };
    },
  });
  return { store: () => createDurableObjectSessionStore(flaky as never), now: () => now, advance: (ms) => (now += ms), outage: (on) => (down = on) };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

describe.each([
  ["kv", kvHarness],
  ["kv, one isolate", kvOneIsolateHarness],
  ["durable-object", durableObjectHarness],
] as const)("session store: %s", (_name, makeHarness) => {
  const rotate = (h: Harness, credential: string) => h.store().rotate(credential, h.now(), GRACE_SECONDS);

  it("rotates: each use returns a new credential of the same session", async () => {
    const h = makeHarness();
    const first = await h.store().create(someone(), h.now(), TTL_SECONDS);
    h.advance(10);
    const second = await rotate(h, first.credential);
    h.advance(10);
    const third = await rotate(h, second.credential);
    expect(new Set([first.credential, second.credential, third.credential]).size).toBe(3);
    expect(third.familyId).toBe(first.familyId);
    expect(third.identity).toEqual(first.identity);
  });

  it("gives every holder of a just-rotated credential the same successor, then treats a late one as theft", async () => {
    const h = makeHarness();
    const first = await h.store().create(someone(), h.now(), TTL_SECONDS);
    const parallel = await Promise.all([1, 2, 3, 4, 5].map(() => rotate(h, first.credential)));
    expect(new Set(parallel.map((issued) => issued.credential)).size).toBe(1);
    h.advance(GRACE_SECONDS * 1000 - 1);
    expect((await rotate(h, first.credential)).credential).toBe(parallel[0]!.credential);
    h.advance(2);
    expect(await refusal(rotate(h, first.credential))).toBe("ERR_REFRESH_REUSED");
    expect(await refusal(rotate(h, parallel[0]!.credential))).toBe("ERR_REFRESH_REVOKED");
  });

  it("signs out right after sign-in, and two revocations at once both succeed", async () => {
    const h = makeHarness();
    const issued = await h.store().create(someone(), h.now(), TTL_SECONDS);
    await Promise.all([h.store().revoke(issued, h.now(), "logout"), h.store().revoke(issued, h.now(), "logout")]);
    expect(await h.store().isActive(issued, h.now())).toBe(false);
    expect(await refusal(rotate(h, issued.credential))).toBe("ERR_REFRESH_REVOKED");
  });

  it("refuses an expired session, an unknown token and a credential naming another session", async () => {
    const h = makeHarness();
    const mine = await h.store().create(someone(), h.now(), 60);
    const other = await h.store().create(someone(), h.now(), TTL_SECONDS);
    expect(await refusal(rotate(h, `${mine.credential.slice(0, -43)}${"A".repeat(43)}`))).toBe("ERR_REFRESH_INVALID");
    expect(await refusal(rotate(h, "not-a-credential"))).toBe("ERR_REFRESH_INVALID");
    const spliced = `${other.credential.slice(0, -43)}${mine.credential.slice(-43)}`;
    expect(await refusal(rotate(h, spliced))).toBe("ERR_REFRESH_INVALID");
    h.advance(60_000);
    expect(await refusal(rotate(h, mine.credential))).toMatch(/ERR_REFRESH_(EXPIRED|INVALID)/);
  });

  it("peeks at a credential's session without using it", async () => {
    const h = makeHarness();
    const issued = await h.store().create(someone(), h.now(), TTL_SECONDS);
    expect(await h.store().peek(issued.credential, h.now())).toEqual({ familyId: issued.familyId, sub: issued.sub });
    expect((await rotate(h, issued.credential)).credential).not.toBe(issued.credential);
    expect(await h.store().peek("x.y", h.now())).toBeUndefined();
  });

  it("signs a person out everywhere, at any scale, in one invocation; a later sign-in lives on", async () => {
    const h = makeHarness();
    const person = someone();
    const sessions = [];
    for (let i = 0; i < 600; i++) sessions.push(await h.store().create(person, h.now(), TTL_SECONDS));
    const bystander = await h.store().create(someone(), h.now(), TTL_SECONDS);
    await h.store().revokeUser(person.sub, h.now(), "logout-everywhere");
    h.advance(1);
    const later = await h.store().create(person, h.now(), TTL_SECONDS);
    for (const session of [sessions[0]!, sessions[299]!, sessions[599]!]) expect(await refusal(rotate(h, session.credential))).toBe("ERR_REFRESH_REVOKED");
    expect(await refusal(rotate(h, later.credential))).toBe("accepted");
    expect(await refusal(rotate(h, bystander.credential))).toBe("accepted");
  }, 120_000);

  it("says why every session of a person ended: the latest of 'sign out everywhere' and RISC", async () => {
    const h = makeHarness();
    const person = someone();
    const session = await h.store().create(person, h.now(), TTL_SECONDS);
    const detail = async () => {
      const error = await rotate(h, session.credential).then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(AuthError);
      return [(error as AuthError).code, (error as AuthError).detail];
    };
    await h.store().revokeUser(person.sub, h.now(), "logout-everywhere");
    expect(await detail()).toEqual(["ERR_REFRESH_REVOKED", "logout-everywhere"]);
    h.advance(1_000);
    await h.store().revokeUser(person.sub, h.now(), "risc");
    expect(await detail()).toEqual(["ERR_REFRESH_REVOKED", "risc"]);
  });

  it("records a security event once: unknown before, known after (a second record changes nothing), gone when it expires", async () => {
    const h = makeHarness();
    const id = `https://issuer.test/\nevent-${Date.now()}-${++users}`;
    expect(await h.store().hasEvent(id, h.now())).toBe(false);
    await h.store().recordEvent(id, h.now() + 600_000, h.now());
    await h.store().recordEvent(id, h.now() + 600_000, h.now());
    expect(await h.store().hasEvent(id, h.now())).toBe(true);
    expect(await h.store().hasEvent(`${id}-other`, h.now())).toBe(false);
    h.advance(600_001);
    expect(await h.store().hasEvent(id, h.now())).toBe(false);
  });

  it("answers a store outage with ERR_SESSION_STORE_UNAVAILABLE, and the session is intact afterwards", async () => {
    const h = makeHarness();
    const issued = await h.store().create(someone(), h.now(), TTL_SECONDS);
    h.outage(true);
    expect(await refusal(rotate(h, issued.credential))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
    expect(await refusal(h.store().revoke(issued, h.now(), "logout"))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
    expect(await refusal(h.store().hasEvent("event", h.now()))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
    expect(await refusal(h.store().recordEvent("event", h.now() + 60_000, h.now()))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
    h.outage(false);
    expect(await refusal(rotate(h, issued.credential))).toBe("accepted");
  });

  it("accepts a one-time value once, even twice at once, and answers an outage as unavailable", async () => {
    const h = makeHarness();
    // Values unique to this run: the KV suites share one namespace.
    const { sub } = someone();
    const expiresAtMs = h.now() + 60_000;
    // Two redemptions racing: exactly one wins (KV: the second write within the second gets 429).
    const raced = await Promise.all([h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs), h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs)]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    h.advance(5_000);
    expect(await h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs)).toBe(false);
    expect(await h.store().claimOnce(sub, `${sub}-jti-2`, h.now(), expiresAtMs)).toBe(true);
    h.outage(true);
    expect(await refusal(h.store().claimOnce(sub, `${sub}-jti-3`, h.now(), expiresAtMs))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../../src/errors";
import { personKey, type Identity } from "../../../src/identity";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import { createKvSessionStore, newFamilyCache } from "../../../src/session/kv-store";
import { MAX_LISTED_SESSIONS, type SessionStore } from "../../../src/session/store";
import { createCloudflareKv, type CloudflareKv, type DailyLimits } from "../../support/cloudflare-kv";
import { testEnv } from "../../support/workerd/helpers";

/**
 * One suite, both stores: what every session store promises. KV runs on a model of Cloudflare's
 * KV (one write per key per second, 1,000 operations per invocation, outages), never on
 * miniflare's KV alone; the Durable Object runs in workerd. The clock is the test's.
 */
const GRACE_SECONDS = 30;
const TTL_SECONDS = 3600;
let users = 0;
const someone = (): Identity => ({
  provider: "default",
  sub: `store-${Date.now()}-${++users}`,
  email: `p${users}@example.com`,
});

interface Harness {
  /** A store as one invocation sees it (a new invocation each call). */
  store(): SessionStore;
  now: () => number;
  advance(ms: number): void;
  /** Makes every store call fail as an unreachable store would. */
  outage(on: boolean): void;
}

/** 09:00 UTC today: KV's daily quotas reset at 00:00 UTC, which a clock started at Date.now() could cross mid-test. */
const NINE_UTC_TODAY = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * 3_600_000;

function kvHarness(dailyLimits?: Partial<DailyLimits>): Harness & { kv: CloudflareKv } {
  let now = NINE_UTC_TODAY;
  const options = { clock: () => now, ...(dailyLimits && { dailyLimits }) };
  const kv = createCloudflareKv(testEnv.SESSIONS, options);
  return {
    kv,
    store: () => createKvSessionStore(kv.binding("here"), TTL_SECONDS),
    now: () => now,
    advance: (ms) => (now += ms),
    outage: (on) => kv.setOutage(on),
  };
}

/**
 * KV as one isolate sees it across invocations: families it wrote or read are known without a
 * read (the isolate's cache, as sessionStoreFor keeps it), so a rotation makes one round of
 * reads; each invocation still gets its own binding (its own 1,000 operations).
 */
function kvOneIsolateHarness(dailyLimits?: Partial<DailyLimits>): Harness {
  const harness = kvHarness(dailyLimits);
  const families = newFamilyCache();
  return {
    ...harness,
    store: () => createKvSessionStore(harness.kv.binding("here"), TTL_SECONDS, families),
  };
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
        return new Proxy(stub, {
          get: (s, name) =>
            down && name !== "then"
              ? () => Promise.reject(new Error("Network connection lost."))
              : Reflect.get(s, name),
        });
      };
    },
  });
  return {
    store: () => createDurableObjectSessionStore(flaky as never),
    now: () => now,
    advance: (ms) => (now += ms),
    outage: (on) => (down = on),
  };
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

  it("reads a session's state without a credential or a rotation: live and whose, then ended each way", async () => {
    const h = makeHarness();
    const person = { ...someone(), hd: "example.org" };
    const revoked = await h.store().create(person, h.now(), TTL_SECONDS);
    const expiring = await h.store().create(person, h.now(), 60);
    const state = (s: { sub: string; familyId: string }) => h.store().sessionState(s.sub, s.familyId, h.now());
    expect(await state(revoked)).toEqual({ active: true, identity: person, expiresAtMs: h.now() + TTL_SECONDS * 1000 });
    // Read-only: reading does not spend the credential, which still rotates once and normally.
    expect(await refusal(rotate(h, revoked.credential))).toBe("accepted");
    expect(await state({ sub: "someone-else", familyId: revoked.familyId })).toEqual({ active: false });
    expect(await state({ sub: person.sub, familyId: "unknown-family" })).toEqual({ active: false });
    await h.store().revoke(revoked, h.now(), "logout");
    expect(await state(revoked)).toEqual({ active: false });
    expect((await state(expiring)).active).toBe(true);
    h.advance(60_000);
    expect(await state(expiring)).toEqual({ active: false });
    h.advance(1);
    const everywhere = await h.store().create(person, h.now(), TTL_SECONDS);
    h.advance(1);
    await h.store().revokeUser(person.sub, h.now(), h.now(), "logout-everywhere");
    expect(await state(everywhere)).toEqual({ active: false });
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
    // Signed in on 600 devices, a hundred at a time (each sign-in its own invocation): more
    // sessions than one invocation could end one by one.
    const sessions = [];
    for (let batch = 0; batch < 6; batch++)
      sessions.push(
        ...(await Promise.all(Array.from({ length: 100 }, () => h.store().create(person, h.now(), TTL_SECONDS)))),
      );
    const bystander = await h.store().create(someone(), h.now(), TTL_SECONDS);
    await h.store().revokeUser(person.sub, h.now(), h.now(), "logout-everywhere");
    h.advance(1);
    const later = await h.store().create(person, h.now(), TTL_SECONDS);
    for (const session of [sessions[0]!, sessions[299]!, sessions[599]!])
      expect(await refusal(rotate(h, session.credential))).toBe("ERR_REFRESH_REVOKED");
    expect(await refusal(rotate(h, later.credential))).toBe("accepted");
    expect(await refusal(rotate(h, bystander.credential))).toBe("accepted");
  }, 120_000);

  it("revokes up to a given moment, and a later mark is never moved back by an earlier one (a late security event)", async () => {
    const h = makeHarness();
    const person = someone();
    const early = await h.store().create(person, h.now(), TTL_SECONDS);
    const eventMs = h.now();
    h.advance(5_000);
    const middle = await h.store().create(person, h.now(), TTL_SECONDS);
    const everywhereMs = h.now();
    h.advance(5_000);
    const late = await h.store().create(person, h.now(), TTL_SECONDS);
    h.advance(5_000);
    await h.store().revokeUser(person.sub, everywhereMs, h.now(), "logout-everywhere");
    h.advance(2_000);
    await h.store().revokeUser(person.sub, eventMs, h.now(), "risc");
    h.advance(1);
    for (const session of [early, middle]) expect(await h.store().isActive(session, h.now())).toBe(false);
    expect(await h.store().isActive(late, h.now())).toBe(true);
  });

  it("says why every session of a person ended: the latest of 'sign out everywhere' and RISC", async () => {
    const h = makeHarness();
    const person = someone();
    const session = await h.store().create(person, h.now(), TTL_SECONDS);
    const detail = async () => {
      const error = await rotate(h, session.credential).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(AuthError);
      return [(error as AuthError).code, (error as AuthError).detail];
    };
    await h.store().revokeUser(person.sub, h.now(), h.now(), "logout-everywhere");
    expect(await detail()).toEqual(["ERR_REFRESH_REVOKED", "logout-everywhere"]);
    h.advance(1_000);
    await h.store().revokeUser(person.sub, h.now(), h.now(), "risc");
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
    expect(await refusal(h.store().recordEvent("event", h.now() + 60_000, h.now()))).toBe(
      "ERR_SESSION_STORE_UNAVAILABLE",
    );
    h.outage(false);
    expect(await refusal(rotate(h, issued.credential))).toBe("accepted");
  });

  it("lists a person's own active sessions, with how they signed in and when each was last used", async () => {
    const h = makeHarness();
    const person = someone();
    const t0 = h.now();
    const short = await h.store().create(person, h.now(), 60, { device: "Safari on iOS" });
    const first = await h
      .store()
      .create(person, h.now(), TTL_SECONDS, { device: "Chrome on macOS", place: "Lisbon, Portugal" });
    h.advance(5_000);
    const second = await h.store().create(person, h.now(), TTL_SECONDS, { device: "Firefox on Linux" });
    const ended = await h.store().create(person, h.now(), TTL_SECONDS);
    const stranger = await h.store().create(someone(), h.now(), TTL_SECONDS, { device: "Edge on Windows" });
    await h.store().revoke(ended, h.now(), "ended-by-owner");
    h.advance(60_000);
    const rotatedAt = h.now();
    await rotate(h, first.credential);
    const listed = await h.store().listSessions(person.sub, h.now());
    expect(listed).toEqual([
      {
        familyId: first.familyId,
        createdAtMs: t0,
        lastActiveAtMs: rotatedAt,
        device: "Chrome on macOS",
        place: "Lisbon, Portugal",
      },
      { familyId: second.familyId, createdAtMs: t0 + 5_000, lastActiveAtMs: t0 + 5_000, device: "Firefox on Linux" },
    ]);
    expect(listed.map((session) => session.familyId)).not.toContain(short.familyId);
    expect((await h.store().listSessions(stranger.sub, h.now())).map((session) => session.familyId)).toEqual([
      stranger.familyId,
    ]);
  });

  it("ends a listed session by id; another person's id changes nothing; sign out everywhere empties the list", async () => {
    const h = makeHarness();
    const person = someone();
    const mine = [
      await h.store().create(person, h.now(), TTL_SECONDS),
      await h.store().create(person, h.now(), TTL_SECONDS),
    ];
    const theirs = await h.store().create(someone(), h.now(), TTL_SECONDS);
    await h.store().revoke({ familyId: theirs.familyId, sub: person.sub }, h.now(), "ended-by-owner");
    expect(await refusal(rotate(h, theirs.credential))).toBe("accepted");
    await h.store().revoke({ familyId: mine[0]!.familyId, sub: person.sub }, h.now(), "ended-by-owner");
    expect(await refusal(rotate(h, mine[0]!.credential))).toBe("ERR_REFRESH_REVOKED");
    expect((await h.store().listSessions(person.sub, h.now())).map((session) => session.familyId)).toEqual([
      mine[1]!.familyId,
    ]);
    await h.store().revokeUser(person.sub, h.now(), h.now(), "logout-everywhere");
    h.advance(1);
    expect(await h.store().listSessions(person.sub, h.now())).toEqual([]);
    const later = await h.store().create(person, h.now(), TTL_SECONDS);
    expect((await h.store().listSessions(person.sub, h.now())).map((session) => session.familyId)).toEqual([
      later.familyId,
    ]);
  });

  it(`lists at most the newest ${MAX_LISTED_SESSIONS} sessions, within one invocation's limits`, async () => {
    const h = makeHarness();
    const person = someone();
    const created = [];
    for (let i = 0; i < MAX_LISTED_SESSIONS + 30; i++) {
      created.push(await h.store().create(person, h.now(), TTL_SECONDS));
      h.advance(10);
    }
    // Revoked ones among the newest do not crowd live ones out.
    for (const session of created.slice(-20)) await h.store().revoke(session, h.now(), "ended-by-owner");
    const listed = await h.store().listSessions(person.sub, h.now());
    const expected = created
      .slice(0, -20)
      .slice(-MAX_LISTED_SESSIONS)
      .reverse()
      .map((session) => session.familyId);
    expect(listed.map((session) => session.familyId)).toEqual(expected);
    // The session asking is listed however old it is, in place of the oldest of the rest.
    const asking = await h.store().listSessions(person.sub, h.now(), created[0]!.familyId);
    expect(asking.map((session) => session.familyId)).toEqual([...expected.slice(0, -1), created[0]!.familyId]);
  }, 120_000);

  it("keeps the same sub at two providers apart: sessions, their list, their state and signing out everywhere", async () => {
    const h = makeHarness();
    const atDefault = someone();
    const atPartner: Identity = { ...atDefault, provider: "partner" };
    const first = await h.store().create(atDefault, h.now(), TTL_SECONDS);
    const second = await h.store().create(atPartner, h.now(), TTL_SECONDS);
    // The default provider's person keeps the bare sub as their key: sessions from before providers had ids.
    expect([first.sub, second.sub]).toEqual([atDefault.sub, `partner ${atDefault.sub}`]);
    expect((await rotate(h, second.credential)).identity).toEqual(atPartner);
    const listed = async (key: string) =>
      (await h.store().listSessions(key, h.now(), undefined)).map((session) => session.familyId);
    expect(await listed(personKey(atDefault))).toEqual([first.familyId]);
    expect(await listed(personKey(atPartner))).toEqual([second.familyId]);
    expect(await h.store().sessionState(atDefault.sub, second.familyId, h.now())).toEqual({ active: false });
    h.advance(1000);
    await h.store().revokeUser(personKey(atPartner), h.now(), h.now(), "logout-everywhere");
    expect((await h.store().sessionState(personKey(atPartner), second.familyId, h.now())).active).toBe(false);
    expect((await h.store().sessionState(personKey(atDefault), first.familyId, h.now())).active).toBe(true);
  });

  it("lists nobody's sessions for a person who never signed in, and answers an outage as unavailable", async () => {
    const h = makeHarness();
    expect(await h.store().listSessions(someone().sub, h.now())).toEqual([]);
    h.outage(true);
    expect(await refusal(h.store().listSessions(someone().sub, h.now()))).toBe("ERR_SESSION_STORE_UNAVAILABLE");
  });

  it("accepts a one-time value once, even twice at once, and answers an outage as unavailable", async () => {
    const h = makeHarness();
    // Values unique to this run: the KV suites share one namespace.
    const { sub } = someone();
    const expiresAtMs = h.now() + 60_000;
    // Two redemptions racing: exactly one wins (KV: the second write within the second gets 429).
    const raced = await Promise.all([
      h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs),
      h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    h.advance(5_000);
    expect(await h.store().claimOnce(sub, `${sub}-jti-1`, h.now(), expiresAtMs)).toBe(false);
    expect(await h.store().claimOnce(sub, `${sub}-jti-2`, h.now(), expiresAtMs)).toBe(true);
    h.outage(true);
    expect(await refusal(h.store().claimOnce(sub, `${sub}-jti-3`, h.now(), expiresAtMs))).toBe(
      "ERR_SESSION_STORE_UNAVAILABLE",
    );
  });
});

describe("session store: kv, what only KV does", () => {
  it("lists a session signed in at another location once KV has propagated it (up to 60 s), the current one at once", async () => {
    const h = kvHarness();
    const person = someone();
    // One isolate whose KV list lags behind its own sign-in: it knows the family it wrote, and
    // the list (served from "here") does not show it yet.
    const families = newFamilyCache();
    const there = createKvSessionStore(h.kv.binding("there"), TTL_SECONDS, families);
    const here = () => createKvSessionStore(h.kv.binding("here"), TTL_SECONDS, families);
    const local = await here().create(person, h.now(), TTL_SECONDS);
    const remote = await there.create(person, h.now(), TTL_SECONDS);
    h.advance(1_000);
    expect((await here().listSessions(person.sub, h.now())).map((s) => s.familyId)).toEqual([local.familyId]);
    // Its own session: read directly when the listing does not show it yet.
    expect((await here().listSessions(person.sub, h.now(), remote.familyId)).map((s) => s.familyId).sort()).toEqual(
      [local.familyId, remote.familyId].sort(),
    );
    h.advance(60_000);
    expect((await here().listSessions(person.sub, h.now())).map((s) => s.familyId).sort()).toEqual(
      [local.familyId, remote.familyId].sort(),
    );
  });
});

describe.each([
  ["kv", kvHarness],
  ["kv, one isolate", kvOneIsolateHarness],
] as const)("session store past KV's daily write quota: %s", (_name, makeHarness) => {
  const LONG_TTL_SECONDS = 2 * 86_400; // Sessions that outlive the next 00:00 UTC.
  const rotate = (h: Harness, credential: string) => h.store().rotate(credential, h.now(), GRACE_SECONDS);

  it("holds rotation (same credential, every check made), and still ends sessions: one, a person's all, a reused one", async () => {
    // Four sign-ins (a family, its listing entry, its first token: three writes each); nothing else can be written today.
    const h = makeHarness({ writes: 12 });
    const person = someone(),
      other = someone();
    const create = (who: Identity) => h.store().create(who, h.now(), LONG_TTL_SECONDS);
    const [laptop, phone, tablet] = [await create(person), await create(person), await create(person)];
    const theirs = await create(other);
    h.advance(60_000);
    for (const session of [laptop, phone, tablet, theirs]) {
      const { credential, familyId } = session;
      expect(await rotate(h, credential)).toMatchObject({ credential, familyId, held: "quota" });
    }
    expect(await refusal(create(person))).toBe("ERR_SESSION_STORE_QUOTA"); // Nobody new gets in.
    await h.store().revoke(laptop, h.now(), "logout");
    expect(await refusal(rotate(h, laptop.credential))).toBe("ERR_REFRESH_INVALID");
    expect(await h.store().peek(laptop.credential, h.now())).toBeUndefined();
    await h.store().revokeUser(person.sub, h.now(), h.now(), "logout-everywhere");
    for (const { credential } of [phone, tablet]) {
      expect(await refusal(rotate(h, credential))).toBe("ERR_REFRESH_INVALID");
    }
    expect((await rotate(h, theirs.credential)).held).toBe("quota"); // Another person's session is untouched.
    h.advance(86_400_000 - (h.now() % 86_400_000)); // 00:00 UTC: rotation resumes, the ended stay ended.
    const next = await rotate(h, theirs.credential);
    expect(next.credential).not.toBe(theirs.credential);
    expect(next.held).toBeUndefined();
    for (const { credential } of [laptop, phone, tablet]) {
      expect(await refusal(rotate(h, credential))).toBe("ERR_REFRESH_INVALID");
    }
  });

  it("detects reuse of a token rotated before the quota, and ends its family by deletion", async () => {
    const h = makeHarness({ writes: 4 });
    const first = await h.store().create(someone(), h.now(), LONG_TTL_SECONDS);
    h.advance(60_000);
    const second = await rotate(h, first.credential); // The fourth write: the quota is spent.
    h.advance(GRACE_SECONDS * 1000 + 1);
    expect((await rotate(h, second.credential)).held).toBe("quota");
    expect(await refusal(rotate(h, first.credential))).toBe("ERR_REFRESH_REUSED");
    expect(await refusal(rotate(h, second.credential))).toBe("ERR_REFRESH_INVALID");
  });
});

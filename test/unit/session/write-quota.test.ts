import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../../src/env";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import { createKvSessionStore } from "../../../src/session/kv-store";
import type { SessionStore } from "../../../src/session/store";
import { createCloudflareKv, FREE_PLAN_DAILY_LIMITS, type CloudflareKv } from "../../support/cloudflare-kv";
import { callWith, cookieValue, testConfig, testEnv } from "../../support/workerd/helpers";

/**
 * A working day past Workers KV's daily write quota (Free plan: 1,000 a day; here 60, so a day
 * of a few people reaches it by mid-morning). From then until 00:00 UTC every rotation is
 * refused: nobody may be signed out for it, and every revocation must still hold. The same day
 * runs on the Durable Object store, which has no write quota the worker can reach first
 * (docs/capacity.md). The clock is the worker's own, moved with vi.setSystemTime.
 */
const WRITES_A_DAY = 60;
const DAY = Date.UTC(2041, 2, 4); // 00:00 UTC
const at = (hours: number, minutes = 0) => DAY + (hours * 60 + minutes) * 60_000;
const ROUND_MS = 16 * 60_000; // Past ACCESS_TOKEN_TTL (15 minutes): every round refreshes.

type Jar = { access?: string; refresh?: string };
const person = (name: string) => ({
  provider: "default",
  sub: `quota-${name}-${DAY}`,
  email: `${name}@example.org`,
  hd: "example.org",
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function setup(kind: "kv" | "durable-object") {
  let model: CloudflareKv | undefined;
  let bindings: () => Partial<Record<keyof Env, unknown>>;
  let store: () => SessionStore;
  if (kind === "kv") {
    const kv = createCloudflareKv(testEnv.SESSIONS, {
      clock: () => Date.now(),
      dailyLimits: { ...FREE_PLAN_DAILY_LIMITS, writes: WRITES_A_DAY },
    });
    model = kv;
    bindings = () => ({ SESSIONS: kv.binding() });
    store = () => createKvSessionStore(kv.binding(), 30 * 86_400);
  } else {
    const namespace = (env as unknown as { SESSION_FAMILIES: DurableObjectNamespace }).SESSION_FAMILIES;
    bindings = () => ({ SESSION_STORE: "durable-object" });
    store = () => createDurableObjectSessionStore(namespace as never);
  }
  const points: string[] = [];
  const metrics = { writeDataPoint: (point: AnalyticsEngineDataPoint) => void points.push(String(point.blobs?.[0])) };

  /** One request of the person whose cookies `jar` holds; the jar takes what the response sets. */
  async function visit(jar: Jar, path = "/app", init: RequestInit = {}): Promise<number> {
    const cookie = [jar.access && `__Host-access=${jar.access}`, jar.refresh && `__Host-refresh=${jar.refresh}`]
      .filter(Boolean)
      .join("; ");
    const response = await callWith({ ...bindings(), AUTH_METRICS: metrics }, path, {
      ...init,
      headers: { Accept: "application/json", Cookie: cookie },
    });
    for (const line of response.headers.getSetCookie()) {
      const [name] = line.split("=", 1);
      const value = cookieValue(line);
      const key = name === "__Host-access" ? "access" : name === "__Host-refresh" ? "refresh" : undefined;
      if (key) jar[key] = /Max-Age=0/i.test(line) ? undefined : value;
    }
    await response.arrayBuffer();
    return response.status;
  }
  async function signIn(name: string): Promise<Jar> {
    const config = await testConfig();
    return { refresh: (await store().create(person(name), Date.now(), config.refreshTokenTtlSeconds)).credential };
  }
  const logout = (jar: Jar, scope = "") => visit(jar, `/auth/logout${scope}`, { method: "POST" });
  return { model, points, visit, signIn, logout };
}

describe.each(["kv", "durable-object"] as const)("a day past the daily write quota (%s store)", (kind) => {
  it("signs nobody out, and every logout, sign-out everywhere and reuse before or after the quota still holds", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: at(8) });
    const warn = vi.spyOn(console, "warn");
    const day = setup(kind);
    const innocent = { fay: await day.signIn("fay"), gus: await day.signIn("gus"), hal: await day.signIn("hal") };
    const ada = await day.signIn("ada"),
      bob = await day.signIn("bob"),
      eve = await day.signIn("eve");
    const cyLaptop = await day.signIn("cy"),
      cyPhone = await day.signIn("cy");
    const deeLaptop = await day.signIn("dee"),
      deePhone = await day.signIn("dee");
    const everyone = () => [...Object.values(innocent), ada, bob, eve, cyLaptop, cyPhone, deeLaptop, deePhone];
    const statuses = new Map<Jar, number[]>();
    const round = async () => {
      vi.setSystemTime(Date.now() + ROUND_MS);
      for (const jar of everyone()) statuses.set(jar, [...(statuses.get(jar) ?? []), await day.visit(jar)]);
    };
    const stale = (jar: Jar): Jar => ({ refresh: jar.refresh }); // A copy of the refresh cookie, as a thief keeps it.

    await round();
    const eveStolen = stale(eve); // Rotated at the next round: presented later, it is a reuse.
    await round();
    // Before the quota: ada logs out, dee signs out everywhere from the laptop.
    const adaCopy = stale(ada),
      deePhoneCopy = stale(deePhone);
    expect(await day.logout(ada)).toBe(303);
    expect(await day.logout(deeLaptop, "?scope=all")).toBe(303);
    const quotaReached = () => (day.model ? day.model.today().writes >= WRITES_A_DAY : Date.now() >= at(11));
    while (!quotaReached()) await round();
    await round();
    // Past the quota: bob logs out, cy signs out everywhere from the laptop, eve's old token comes back.
    const bobCopy = stale(bob),
      cyPhoneCopy = stale(cyPhone);
    expect(day.model?.today().writes ?? WRITES_A_DAY).toBe(WRITES_A_DAY);
    expect(await day.logout(bob)).toBe(303);
    expect(await day.logout(cyLaptop, "?scope=all")).toBe(303);
    expect(await day.visit(eveStolen)).toBe(401);
    const heldFrom = Date.now();
    while (Date.now() < at(18)) await round();

    // Nobody innocent was ever refused, all day long.
    for (const jar of Object.values(innocent)) expect(new Set(statuses.get(jar))).toEqual(new Set([200]));
    // Every revocation held, before and after the quota: stale copies and other devices are refused.
    for (const revoked of [adaCopy, bobCopy, cyPhoneCopy, deePhoneCopy, eveStolen])
      expect(await day.visit(revoked)).toBe(401);
    expect(statuses.get(cyPhone)!.at(-1)).toBe(401);
    expect(statuses.get(deePhone)!.at(-1)).toBe(401);
    expect(statuses.get(eve)!.at(-1)).toBe(401); // The reuse ended eve's family too.

    const held = day.points.filter((outcome) => outcome === "OK_ROTATION_HELD").length;
    const heldLogs = warn.mock.calls.filter(([line]) => String(line).includes('"refresh_rotation_held"')).length;
    if (kind === "kv") {
      expect(day.model!.today().writes).toBe(WRITES_A_DAY);
      expect(held).toBeGreaterThanOrEqual(Object.keys(innocent).length * Math.floor((at(18) - heldFrom) / ROUND_MS));
      expect(heldLogs).toBe(1); // Once per isolate (and day), not once per request.
    } else {
      expect([held, heldLogs]).toEqual([0, 0]);
    }

    // After 00:00 UTC rotations resume: a new refresh token, and the revoked stay revoked.
    vi.setSystemTime(at(24 + 8));
    const before = innocent.fay.refresh;
    expect(await day.visit(innocent.fay)).toBe(200);
    expect(innocent.fay.refresh).not.toBe(before);
    expect(await day.visit(cyPhoneCopy)).toBe(401);
    expect(await day.visit(bobCopy)).toBe(401);
  }, 120_000);
});

import { describe, expect, it } from "vitest";
import { fixedWindowLimiter, RATE_LIMIT, RATE_LIMIT_PERIOD_MS } from "../../support/workerd/fixed-window-limiter";
import { callWith, testEnv } from "../../support/workerd/helpers";

const LIMIT = RATE_LIMIT;
const PERIOD_MS = RATE_LIMIT_PERIOD_MS;

/** The worker with AUTH_RATE_LIMIT replaced by a limiter on a test clock. */
function limitedWorker() {
  // 3 s into a window, so that "still the same window" and "the next window" are both reachable.
  let now = 7 * PERIOD_MS + 3_000;
  const { limiter, keys } = fixedWindowLimiter(() => now);
  // callWith takes string bindings; this one is an object, as the real binding is.
  const bindings = { AUTH_RATE_LIMIT: limiter as unknown as string };
  return {
    keys,
    bindings,
    advance: (ms: number) => (now += ms),
    call: (path: string, ip: string, init: RequestInit = {}) =>
      callWith(bindings, path, { ...init, headers: { "cf-connecting-ip": ip } }),
  };
}

async function statusesOf(count: number, request: () => Promise<Response>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await request();
    statuses.push(response.status);
    await response.arrayBuffer();
  }
  return statuses;
}

describe("rate limiting of the auth routes (AUTH_RATE_LIMIT, 60 per 10 s per route and IP)", () => {
  it("limits the sessions list and its revoke route too: each listing costs hundreds of KV operations", async () => {
    const worker = limitedWorker();
    const statuses = await statusesOf(LIMIT, () => worker.call("/auth/sessions", "203.0.113.12"));
    expect(statuses).toEqual(Array(LIMIT).fill(401));
    expect((await worker.call("/auth/sessions", "203.0.113.12")).status).toBe(429);
    expect(
      (await worker.call("/auth/sessions/revoke", "203.0.113.12", { method: "POST", body: "others=1" })).status,
    ).toBe(429);
    expect(worker.keys.at(-1)).toBe("sessions:203.0.113.12");
  });

  it("admits 60 logins from one client in a window and answers the 61st with 429 and Retry-After", async () => {
    const worker = limitedWorker();
    const statuses = await statusesOf(LIMIT, () => worker.call("/auth/login", "203.0.113.9"));
    expect(statuses).toEqual(Array(LIMIT).fill(302));
    const limited = await worker.call("/auth/login", "203.0.113.9");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("10");
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });
    // One key per route and client IP.
    expect(new Set(worker.keys)).toEqual(new Set(["login:203.0.113.9"]));
  });

  it("counts per client and per route: another IP, or the same IP on another route, is still admitted", async () => {
    const worker = limitedWorker();
    await statusesOf(LIMIT + 1, () => worker.call("/auth/login", "203.0.113.9"));
    expect((await worker.call("/auth/login", "203.0.113.9")).status).toBe(429);
    expect((await worker.call("/auth/login", "203.0.113.10")).status).toBe(302);
    // Past the limiter, the refresh route refuses the missing cookie itself: 401, not 429.
    expect((await worker.call("/auth/refresh", "203.0.113.9", { method: "POST" })).status).toBe(401);
    expect((await worker.call("/auth/callback", "203.0.113.9")).status).not.toBe(429);
  });

  it("counts a logout that carries a refresh cookie against the refresh budget: forged cookies buy no unlimited store reads", async () => {
    const worker = limitedWorker();
    const forged = (n: number) => ({
      method: "POST",
      headers: { "cf-connecting-ip": "203.0.113.9", cookie: `__Host-refresh=${String(n).padStart(43, "A")}` },
    });
    let n = 0;
    const statuses = await statusesOf(LIMIT, () => callWith(worker.bindings, "/auth/logout", forged(n++)));
    expect(statuses).toEqual(Array(LIMIT).fill(303));
    expect((await callWith(worker.bindings, "/auth/logout", forged(n++))).status).toBe(429);
    expect(new Set(worker.keys)).toEqual(new Set(["logout:203.0.113.9", "refresh:203.0.113.9"]));
  });

  it("limits logouts without any cookie too: each may read, write or delete in the store", async () => {
    const worker = limitedWorker();
    const bare = { method: "POST", headers: { "cf-connecting-ip": "203.0.113.14" } };
    const statuses = await statusesOf(LIMIT, () => callWith(worker.bindings, "/auth/logout", bare));
    expect(statuses).toEqual(Array(LIMIT).fill(303));
    const limited = await callWith(worker.bindings, "/auth/logout?scope=all", bare);
    expect(limited.status).toBe(429);
    expect(new Set(worker.keys)).toEqual(new Set(["logout:203.0.113.14"]));
  });

  it("admits the client again once the window rolls over, and not before", async () => {
    const worker = limitedWorker();
    await statusesOf(LIMIT, () => worker.call("/auth/login", "203.0.113.9"));
    expect((await worker.call("/auth/login", "203.0.113.9")).status).toBe(429);
    worker.advance(PERIOD_MS - 3_000 - 1); // the last millisecond of the same window
    expect((await worker.call("/auth/login", "203.0.113.9")).status).toBe(429);
    worker.advance(1); // the next window
    const statuses = await statusesOf(LIMIT, () => worker.call("/auth/login", "203.0.113.9"));
    expect(statuses).toEqual(Array(LIMIT).fill(302));
    expect((await worker.call("/auth/login", "203.0.113.9")).status).toBe(429);
  });

  it("never limits loopback clients (local development), and does not even ask the limiter", async () => {
    const worker = limitedWorker();
    for (const ip of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      const statuses = await statusesOf(LIMIT + 10, () => worker.call("/auth/login", ip));
      expect(statuses).toEqual(Array(LIMIT + 10).fill(302));
    }
    expect(worker.keys).toEqual([]);
  });

  // The real binding counts per real-time window, so its 429 cannot be awaited without
  // depending on the clock or on machine speed. What can break deterministically is the
  // wiring: wrangler.toml must declare the binding under the name the middleware reads.
  it("has the real AUTH_RATE_LIMIT binding from wrangler.toml, and it admits a client it has not seen", async () => {
    const binding = testEnv.AUTH_RATE_LIMIT as RateLimit | undefined;
    expect(typeof binding?.limit).toBe("function");
    expect(await binding!.limit({ key: `login:unseen-${crypto.randomUUID()}` })).toEqual({ success: true });
  });
});

import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createKvSessionStore } from "../../../src/session/kv-store";
import { createCloudflareKv, FREE_PLAN_DAILY_LIMITS, type DailyLimits } from "../../support/cloudflare-kv";
import { fixedWindowLimiter, RATE_LIMIT, RATE_LIMIT_PERIOD_MS } from "../../support/workerd/fixed-window-limiter";
import { callWith, setCookies, testEnv } from "../../support/workerd/helpers";
import { consent } from "../../support/workerd/provider-stub";
import { RISC_ISSUER, RISC_KID, riscSigningKey, riscTransmitterResponse } from "../../support/workerd/risc-transmitter";

/**
 * The security review's attack on Workers KV's daily quotas, on the model of KV at the Free
 * plan's limits (test/support/cloudflare-kv.ts): one signed-in person refreshes and lists their
 * sessions at the rate limit (60 requests per 10 s per route and address), from one address,
 * through an hour. Afterwards another person, from another address, must still sign in, sign out
 * everywhere and be signed out by a RISC event. The clock is moved, never waited for.
 *
 * The attacker spends their shares within two minutes at the rate limit (5,040 reads and 90 lists
 * in the first); from then on every request is refused before it reaches KV, and once the
 * worker's minute-long caches have expired each window is the same as the one before. So the
 * attack runs every window of its first FULL_RATE_MINUTES, asserts that the last of them was
 * refused whole, and then one window in each ten minutes up to the hour's last, which must spend
 * nothing more: the same hour, proved with a fifteenth of its 43,200 requests.
 */
const ATTACK_MINUTES = 60;
const FULL_RATE_MINUTES = 3;
const SAMPLED_EVERY_MINUTES = 10;
const DAY = Math.floor(Date.now() / 86_400_000) * 86_400_000;
const ATTACKER_IP = "198.51.100.66";
const VICTIM_IP = "203.0.113.40";

type Jar = Map<string, string>;
const cookieHeader = (jar: Jar) => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
function keep(jar: Jar, response: Response) {
  for (const [name, line] of setCookies(response)) {
    const value = line.slice(name.length + 1).split(";")[0]!;
    if (/Max-Age=0/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The provider's RISC transmitter (its configuration and keys), in front of whatever fetch there is. */
async function riscTransmitter() {
  const privateKey = await riscSigningKey();
  const before = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) =>
    (await riscTransmitterResponse(new Request(input, init).url)) ?? before(input, init);
  const event = (sub: string) =>
    new SignJWT({
      events: {
        "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked": {
          subject: { subject_type: "iss-sub", iss: RISC_ISSUER, sub },
        },
      },
    })
      .setProtectedHeader({ alg: "RS256", kid: RISC_KID, typ: "secevent+jwt" })
      .setIssuer(RISC_ISSUER)
      .setAudience("unit-client")
      .setIssuedAt(Math.floor(Date.now() / 1000))
      .setJti(`attack-${Date.now()}`)
      .sign(privateKey);
  return { event, restore: () => void (globalThis.fetch = before) };
}

describe("one person at the rate limit for an hour, on the Free plan's KV quotas", () => {
  it("spends a small share of each quota, and another person still signs in, signs out everywhere and is revoked by RISC", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: DAY + 8 * 3_600_000 });
    const kv = createCloudflareKv(testEnv.SESSIONS, {
      clock: () => Date.now(),
      dailyLimits: FREE_PLAN_DAILY_LIMITS,
    });
    const { limiter } = fixedWindowLimiter(() => Date.now());
    /** One request; its body is read, so that nothing of it outlives the invocation. */
    async function call(path: string, ip: string, jar: Jar, init: RequestInit = {}) {
      const response = await callWith({ SESSIONS: kv.binding(), AUTH_RATE_LIMIT: limiter as unknown as string }, path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), "cf-connecting-ip": ip, cookie: cookieHeader(jar) },
      });
      await response.clone().arrayBuffer();
      return response;
    }
    /** A sign-in through the worker's routes and the provider: the jar holds the session's cookies. */
    async function signIn(who: { sub: string; email: string; hd: string }, ip: string, jar: Jar): Promise<number> {
      const login = await call("/auth/login", ip, new Map());
      await login.arrayBuffer();
      const loginJar: Jar = new Map();
      keep(loginJar, login);
      const callback = consent(login.headers.get("location") ?? "", who);
      const response = await call(callback.pathname + callback.search, ip, loginJar);
      keep(jar, response);
      await response.arrayBuffer();
      return response.status;
    }

    // The attacker: five sessions, then an hour of refreshes and listings at the rate limit.
    const attacker = { sub: `attacker-${DAY}`, email: "mallory@example.org", hd: "example.org" };
    const attackerJar: Jar = new Map();
    for (let i = 0; i < 5; i++) expect(await signIn(attacker, ATTACKER_IP, attackerJar)).toBe(302);
    const statuses = { refresh: new Map<number, number>(), sessions: new Map<number, number>() };
    const count = (route: keyof typeof statuses, status: number) =>
      statuses[route].set(status, (statuses[route].get(status) ?? 0) + 1);
    const perMinute = 60_000 / RATE_LIMIT_PERIOD_MS;
    const lastWindow = ATTACK_MINUTES * perMinute - 1;
    const fullRate = Array.from({ length: FULL_RATE_MINUTES * perMinute }, (_, window) => window);
    const sampled = Array.from(
      { length: ATTACK_MINUTES / SAMPLED_EVERY_MINUTES },
      (_, n) => (n + 1) * SAMPLED_EVERY_MINUTES * perMinute,
    ).map((window) => Math.min(window, lastWindow));
    const start = Math.ceil(Date.now() / RATE_LIMIT_PERIOD_MS) * RATE_LIMIT_PERIOD_MS;
    let spentAtFullRate: DailyLimits | undefined;
    const refusedInLastFullWindow = { refresh: 0, sessions: 0 };
    for (const window of [...fullRate, ...sampled]) {
      if (window === sampled[0]) spentAtFullRate = kv.today();
      for (let i = 0; i < RATE_LIMIT; i++) {
        vi.setSystemTime(start + window * RATE_LIMIT_PERIOD_MS + i * (RATE_LIMIT_PERIOD_MS / RATE_LIMIT));
        const refresh = await call("/auth/refresh", ATTACKER_IP, attackerJar, { method: "POST" });
        keep(attackerJar, refresh);
        count("refresh", refresh.status);
        const listing = await call("/auth/sessions", ATTACKER_IP, attackerJar, {
          headers: { accept: "application/json" },
        });
        keep(attackerJar, listing);
        await listing.arrayBuffer();
        count("sessions", listing.status);
        if (window === fullRate.at(-1)) {
          refusedInLastFullWindow.refresh += refresh.status === 429 ? 1 : 0;
          refusedInLastFullWindow.sessions += listing.status === 429 ? 1 : 0;
        }
      }
    }
    const spent = kv.today();
    const left = Object.fromEntries(
      (Object.keys(spent) as (keyof DailyLimits)[]).map((kind) => [kind, FREE_PLAN_DAILY_LIMITS[kind] - spent[kind]]),
    );

    // Another person, from another address: signs in, signs out everywhere, signs in again, and
    // the provider's security event ends that session too.
    const victim = { sub: `victim-${DAY}`, email: "victor@example.org", hd: "example.org" };
    const victimJar: Jar = new Map();
    const refreshes = async (jar: Jar) =>
      (
        await call("/auth/refresh", VICTIM_IP, new Map([["__Host-refresh", jar.get("__Host-refresh")!]]), {
          method: "POST",
        })
      ).status;
    const signedIn = await signIn(victim, VICTIM_IP, victimJar);
    const everywhere = (await call("/auth/logout?scope=all", VICTIM_IP, victimJar, { method: "POST" })).status;
    const afterEverywhere = await refreshes(victimJar);
    vi.setSystemTime(Date.now() + 1); // After the mark: a session that starts later is not ended by it.
    const signedInAgain = await signIn(victim, VICTIM_IP, victimJar);
    vi.setSystemTime(Date.now() + 1_000);
    const transmitter = await riscTransmitter();
    const risc = await callWith({ SESSIONS: kv.binding() }, "/auth/risc", {
      method: "POST",
      headers: { "content-type": "application/secevent+jwt" },
      body: await transmitter.event(victim.sub),
    });
    transmitter.restore();
    const afterRisc = await refreshes(victimJar);

    console.log(
      JSON.stringify({
        attack: `${ATTACK_MINUTES} min at ${RATE_LIMIT} requests per ${RATE_LIMIT_PERIOD_MS / 1000} s on each of 2 routes (every window of the first ${FULL_RATE_MINUTES} min, then one in ${SAMPLED_EVERY_MINUTES} min)`,
        answers: { refresh: Object.fromEntries(statuses.refresh), sessions: Object.fromEntries(statuses.sessions) },
        kvSpentByAttacker: spent,
        kvLeft: left,
        victim: { signedIn, everywhere, afterEverywhere, signedInAgain, risc: risc.status, afterRisc },
      }),
    );
    // By the end of the full-rate minutes every request was refused, and the rest of the hour spent nothing.
    expect(refusedInLastFullWindow).toEqual({ refresh: RATE_LIMIT, sessions: RATE_LIMIT });
    expect(spent).toEqual(spentAtFullRate);
    // The attacker spent at most a tenth of each quota (a request's parallel reads may pass one check together).
    expect(spent.writes).toBeLessThanOrEqual(FREE_PLAN_DAILY_LIMITS.writes / 10);
    expect(spent.lists).toBeLessThanOrEqual(FREE_PLAN_DAILY_LIMITS.lists / 10);
    expect(spent.deletes).toBe(0);
    expect(spent.reads).toBeLessThanOrEqual(FREE_PLAN_DAILY_LIMITS.reads / 10 + 10);
    // Everything the other person asked for was answered, and did what it says.
    expect({ signedIn, everywhere, afterEverywhere, signedInAgain, risc: risc.status, afterRisc }).toEqual({
      signedIn: 302,
      everywhere: 303,
      afterEverywhere: 401,
      signedInAgain: 302,
      risc: 202,
      afterRisc: 401,
    });
  }, 300_000);

  it.each([
    ["free", 100, "held past the person's share"],
    ["paid", 120, "all rotated: no daily quota to share out"],
  ] as const)(
    "WORKERS_PLAN=%s: 120 refreshes of one session in a day, %i rotated (%s)",
    async (plan, rotated, _why) => {
      vi.useFakeTimers({ toFake: ["Date"], now: DAY + (plan === "free" ? 2 : 3) * 86_400_000 + 9 * 3_600_000 });
      const kv = createCloudflareKv(testEnv.SESSIONS, { clock: () => Date.now(), dailyLimits: FREE_PLAN_DAILY_LIMITS });
      const bindings = { SESSIONS: kv.binding(), WORKERS_PLAN: plan };
      const person = { provider: "default", sub: `plan-${plan}-${DAY}`, email: "pat@example.org", hd: "example.org" };
      // Signed in by the store itself: the sign-in's writes are not the worker's to charge.
      const issued = await createKvSessionStore(kv.binding(), 30 * 86_400).create(person, Date.now(), 30 * 86_400);
      const jar: Jar = new Map([["__Host-refresh", issued.credential]]);
      let changed = 0;
      for (let i = 0; i < 120; i++) {
        vi.setSystemTime(Date.now() + 1_000);
        const before = jar.get("__Host-refresh");
        const response = await callWith({ ...bindings, SESSIONS: kv.binding() }, "/auth/refresh", {
          method: "POST",
          headers: { cookie: `__Host-refresh=${before}` },
        });
        expect(response.status).toBe(204);
        keep(jar, response);
        if (jar.get("__Host-refresh") !== before) changed++;
      }
      expect(changed).toBe(rotated);
      expect(kv.today().writes).toBe(3 + rotated); // The sign-in's three, and the rotations.
    },
    // 120 requests one after the other: about 2 s on a quiet machine, past vitest's 5 s on a busy one.
    60_000,
  );
});

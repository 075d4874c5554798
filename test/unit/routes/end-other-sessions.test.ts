import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_LISTED_SESSIONS } from "../../../src/session/store";
import { createCloudflareKv, FREE_PLAN_DAILY_LIMITS } from "../../support/cloudflare-kv";
import {
  call,
  callWith,
  cloudflareKv,
  cookieValue,
  ISSUER,
  setCookies,
  signedIn,
  testEnv,
} from "../../support/workerd/helpers";

/**
 * POST {AUTH_PREFIX}/sessions/revoke with `others=1` ends every other session of the person,
 * however many: not only the ones a listing shows (the newest MAX_LISTED_SESSIONS).
 */
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());

const SESSIONS = MAX_LISTED_SESSIONS + 6;
const HEADERS = {
  origin: ISSUER,
  "sec-fetch-site": "same-origin",
  "content-type": "application/x-www-form-urlencoded",
};

const refreshWorks = async (refresh: string) =>
  (await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } })).status === 204;

describe("ending every other session", () => {
  it(`ends all ${SESSIONS - 1} other sessions of a person with ${SESSIONS}, and keeps this browser signed in`, async () => {
    const person = { provider: "default", sub: `others-${Date.now()}`, email: "others@example.org", hd: "example.org" };
    const others: string[] = [];
    for (let i = 0; i < SESSIONS - 1; i++) {
      others.push((await signedIn(person, cloudflareKv.binding())).refresh);
      vi.setSystemTime(Date.now() + 10);
    }
    vi.setSystemTime(Date.now() + 1_000);
    const here = await signedIn(person, cloudflareKv.binding());
    vi.setSystemTime(Date.now() + 61_000); // Past KV's listing lag: every session is listed.

    const response = await call("/auth/sessions/revoke", {
      method: "POST",
      headers: { cookie: here.cookie, ...HEADERS },
      body: "others=1",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/auth/sessions?ended=others");
    // This browser goes on, with the cookies it holds after the answer.
    const cookies = setCookies(response);
    const access = cookieValue(cookies.get("__Host-access")) ?? here.access;
    const refresh = cookieValue(cookies.get("__Host-refresh")) ?? here.refresh;

    const stillValid = [];
    for (const other of others) if (await refreshWorks(other)) stillValid.push(other);
    expect(stillValid).toEqual([]);

    const listing = await call("/auth/sessions", {
      headers: { cookie: `__Host-access=${access}; __Host-refresh=${refresh}`, accept: "application/json" },
    });
    expect(listing.status).toBe(200);
    const { sessions } = (await listing.json()) as { sessions: { current: boolean }[] };
    expect(sessions).toEqual([expect.objectContaining({ current: true })]);
    expect(await refreshWorks(refresh)).toBe(true);
  }, 120_000);

  it("while KV refuses writes for the day, ends the others it lists and keeps this browser's session", async () => {
    vi.setSystemTime(Date.UTC(2045, 2, 3, 9));
    const kv = createCloudflareKv(testEnv.SESSIONS, {
      clock: () => Date.now(),
      dailyLimits: { ...FREE_PLAN_DAILY_LIMITS, writes: 9 },
    });
    const person = {
      provider: "default",
      sub: `others-held-${Date.now()}`,
      email: "held@example.org",
      hd: "example.org",
    };
    const others = [(await signedIn(person, kv.binding())).refresh, (await signedIn(person, kv.binding())).refresh];
    vi.setSystemTime(Date.now() + 1_000);
    const here = await signedIn(person, kv.binding());
    expect(kv.today().writes).toBe(9);
    const refreshes = async (refresh: string) =>
      (
        await callWith({ SESSIONS: kv.binding() }, "/auth/refresh", {
          method: "POST",
          headers: { cookie: `__Host-refresh=${refresh}` },
        })
      ).status;

    const response = await callWith({ SESSIONS: kv.binding() }, "/auth/sessions/revoke", {
      method: "POST",
      headers: { cookie: here.cookie, ...HEADERS },
      body: "others=1",
    });
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toEqual([]); // No new session could start: the cookies stay.
    expect(kv.today().deletes).toBe(2);
    for (const other of others) expect(await refreshes(other)).toBe(401);
    expect(await refreshes(here.refresh)).toBe(204); // Held: the same refresh token goes on.
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { createCloudflareKv, FREE_PLAN_DAILY_LIMITS } from "../../support/cloudflare-kv";
import { testEnv } from "../../support/workerd/helpers";
import { signInThroughProvider } from "../../support/workerd/provider-stub";

/**
 * Workers KV's daily write quota, once spent, refuses writes until 00:00 UTC: a sign-in refused
 * for it says so in `Retry-After`, instead of asking to be retried in seconds all day long.
 */
const DAY = Date.UTC(2041, 5, 9); // 00:00 UTC
const person = { sub: "quota-retry-1", email: "ada@example.com" };

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("a sign-in refused for the day's spent write quota", () => {
  it.each([
    ["at 15:00 UTC", 15 * 3_600_000, 9 * 3_600],
    ["at 23:59:30.5 UTC", 86_400_000 - 29_500, 30],
  ])("%s: 503 with Retry-After the seconds left until 00:00 UTC", async (_when, sinceMidnightMs, seconds) => {
    vi.useFakeTimers({ toFake: ["Date"], now: DAY + sinceMidnightMs });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const kv = createCloudflareKv(testEnv.SESSIONS, {
      clock: () => Date.now(),
      dailyLimits: { ...FREE_PLAN_DAILY_LIMITS, writes: 0 },
    });
    const response = await signInThroughProvider(person, { bindings: { SESSIONS: kv.binding() } });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe(String(seconds));
    expect(response.headers.getSetCookie().filter((line) => /^__Host-(access|refresh)=[^;]/.test(line))).toEqual([]);
  });

  it("a store that does not answer is retried in seconds, as before (the control case)", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: DAY + 15 * 3_600_000 });
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const kv = createCloudflareKv(testEnv.SESSIONS, { clock: () => Date.now() });
    kv.setOutage(true);
    const response = await signInThroughProvider(person, { bindings: { SESSIONS: kv.binding() } });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
  });
});

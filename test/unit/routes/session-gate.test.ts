import { describe, expect, it } from "vitest";
import { clientKey } from "../../../src/app/rate-limit";
import { createKvSessionStore } from "../../../src/session/kv-store";
import { createCloudflareKv } from "../../support/cloudflare-kv";
import {
  accessTokenFor,
  ada,
  callWith,
  cookieValue,
  setCookies,
  signedIn,
  testConfig,
  testEnv,
} from "../../support/workerd/helpers";

/**
 * The session promises at the gate, on a model of Cloudflare's KV (not miniflare's alone):
 * nothing earned is lost on an error path, and no outage signs anyone out.
 */
function modelKv() {
  let now = Date.now();
  const kv = createCloudflareKv(testEnv.SESSIONS, { clock: () => now });
  return { kv, binding: () => kv.binding("here"), advance: (ms: number) => (now += ms) };
}

async function expiredAccess(sid: string) {
  const config = await testConfig();
  return accessTokenFor(config, ada, sid, Math.floor(Date.now() / 1000) - config.accessTokenTtlSeconds - 1);
}

describe("sessions at the gate, on Cloudflare's KV as modelled", () => {
  it("an origin error after a rotation carries the successor's cookies, and the successor works on retry", async () => {
    const model = modelKv();
    const session = await signedIn(ada, model.binding());
    const cookie = `__Host-access=${await expiredAccess(session.issued.familyId)}; __Host-refresh=${session.refresh}`;
    const down = await callWith({ SESSIONS: model.binding(), ORIGIN_URL: "http://failing.origin.test" }, "/page", {
      headers: { cookie },
    });
    expect(down.status).toBe(503);
    const earned = setCookies(down);
    const successor = cookieValue(earned.get("__Host-refresh"))!;
    expect(successor).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(successor).not.toBe(session.refresh);
    expect(cookieValue(earned.get("__Host-access"))).toMatch(/^ey/);
    // Long after the grace period, the browser's retry with what the 502 gave it still works.
    model.advance(120_000);
    const retry = await callWith({ SESSIONS: model.binding() }, "/page", {
      headers: { cookie: `__Host-refresh=${successor}` },
    });
    expect(retry.status).toBe(200);
  });

  it("refuses a session past its lifetime and clears both cookies", async () => {
    const model = modelKv();
    const store = createKvSessionStore(model.binding(), 60);
    const issued = await store.create(ada, Date.now() - 61_000, 60);
    const response = await callWith({ SESSIONS: model.binding() }, "/x", {
      headers: { cookie: `__Host-refresh=${issued.credential}` },
    });
    expect(response.status).toBe(401);
    const cookies = setCookies(response);
    expect(cookies.get("__Host-access")).toMatch(/Max-Age=0/);
    expect(cookies.get("__Host-refresh")).toMatch(/Max-Age=0/);
  });

  it("a store outage during a refresh answers 503 with Retry-After and keeps the cookies", async () => {
    const model = modelKv();
    const session = await signedIn(ada, model.binding());
    model.kv.setOutage(true);
    const cookie = `__Host-access=${await expiredAccess(session.issued.familyId)}; __Host-refresh=${session.refresh}`;
    for (const [path, init] of [
      ["/page", { headers: { cookie } }],
      ["/auth/refresh", { method: "POST", headers: { cookie } }],
    ] as const) {
      const response = await callWith({ SESSIONS: model.binding() }, path, init);
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("5");
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    model.kv.setOutage(false);
    expect((await callWith({ SESSIONS: model.binding() }, "/page", { headers: { cookie } })).status).toBe(200);
  });

  it("a valid access token keeps working through a store outage, with REVOCATION_CHECK too", async () => {
    const model = modelKv();
    const session = await signedIn(ada, model.binding());
    model.kv.setOutage(true);
    for (const check of ["false", "true"]) {
      const response = await callWith({ SESSIONS: model.binding(), REVOCATION_CHECK: check }, "/page", {
        headers: { cookie: `__Host-access=${session.access}` },
      });
      expect(response.status).toBe(200);
    }
  });

  it("logout right after sign-in ends the session (no second write to any key)", async () => {
    const model = modelKv();
    const session = await signedIn(ada, model.binding());
    const logout = await callWith({ SESSIONS: model.binding() }, "/auth/logout", {
      method: "POST",
      headers: { cookie: session.cookie },
    });
    expect(logout.status).toBe(303);
    expect([...model.kv.stats().writesByKey.values()].every((writes) => writes === 1)).toBe(true);
    const refresh = await callWith({ SESSIONS: model.binding() }, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${session.refresh}` },
    });
    expect(refresh.status).toBe(401);
  });

  it("counts every refresh attempt at the gate against the client's rate limit (IPv6 by /64)", async () => {
    const keys: string[] = [];
    const limiter = { limit: async ({ key }: { key: string }) => (keys.push(key), { success: keys.length <= 2 }) };
    const init = (ip: string) => ({
      headers: { cookie: `__Host-refresh=${"A".repeat(22)}.${"B".repeat(43)}`, "cf-connecting-ip": ip },
    });
    expect((await callWith({ AUTH_RATE_LIMIT: limiter }, "/api", init("2001:db8:1:2:aaaa::1"))).status).toBe(401);
    expect((await callWith({ AUTH_RATE_LIMIT: limiter }, "/api", init("2001:db8:1:2:bbbb::2"))).status).toBe(401);
    expect((await callWith({ AUTH_RATE_LIMIT: limiter }, "/api", init("2001:db8:1:2::3"))).status).toBe(429);
    expect(keys).toEqual(["refresh:2001:db8:1:2::/64", "refresh:2001:db8:1:2::/64", "refresh:2001:db8:1:2::/64"]);
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("2001:0db8:0000:0001:ffff:ffff:ffff:ffff")).toBe("2001:db8:0:1::/64");
  });
});

/** One session, and a store per Cloudflare location over one modelled KV; the test moves the clock. */
async function twoLocations() {
  const clock = { now: Date.now() };
  const kv = createCloudflareKv(testEnv.SESSIONS, { clock: () => clock.now });
  const at = (location: string) => createKvSessionStore(kv.binding(location), 3600);
  return { clock, at, issued: await at("here").create(ada, clock.now, 3600) };
}

describe("sessions across two KV locations (lag up to 60 s, cached reads 60 s)", () => {
  it("a token presented at two locations at once gets one successor: no fork", async () => {
    const { clock, at, issued } = await twoLocations();
    // A new session is visible everywhere once KV has propagated it.
    clock.now += 61_000;
    const owner = await at("here").rotate(issued.credential, clock.now, 30);
    const thief = await at("there").rotate(issued.credential, clock.now, 30);
    expect(thief.credential).toBe(owner.credential);
    // Once both see the rotation, a late replay anywhere revokes the one shared session.
    clock.now += 120_000;
    await expect(at("there").rotate(issued.credential, clock.now, 30)).rejects.toMatchObject({
      code: "ERR_REFRESH_REUSED",
    });
    clock.now += 120_000;
    await expect(at("here").rotate(owner.credential, clock.now, 30)).rejects.toMatchObject({
      code: "ERR_REFRESH_REVOKED",
    });
  });

  it("a revoked session can still refresh elsewhere for at most lag + cache (120 s in the model), never after", async () => {
    const { clock, at, issued } = await twoLocations();
    clock.now += 60_000;
    const seen = await at("there").rotate(issued.credential, clock.now, 30);
    await at("here").revoke(issued, clock.now, "logout");
    clock.now += 59_000;
    const stillThere = await at("there").rotate(seen.credential, clock.now, 30);
    clock.now += 61_000;
    await expect(at("there").rotate(stillThere.credential, clock.now, 30)).rejects.toMatchObject({
      code: "ERR_REFRESH_REVOKED",
    });
  });
});

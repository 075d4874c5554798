import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { deviceName } from "../../../src/http/device-name";
import { placeName } from "../../../src/http/place-name";
import { safeReturnTo } from "../../../src/http/return-to";
import { MAX_LISTED_SESSIONS } from "../../../src/session/store";
import { call, callWith, cloudflareKv, cookieValue, ISSUER, setCookies, signedIn } from "../../support/workerd/helpers";
import { consent } from "../../support/workerd/provider-stub";
import type { SessionView } from "../../../src/http/sessions-page";

/**
 * GET {AUTH_PREFIX}/sessions and POST {AUTH_PREFIX}/sessions/revoke (docs/what-people-see.md, "Your sessions"): a
 * person sees and ends their own sessions, signed in through the worker's real routes.
 */
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());

const MAC_CHROME =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const LINUX_FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAME_ORIGIN = { origin: ISSUER, "sec-fetch-site": "same-origin" };
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const JSON_ACCEPT = { accept: "application/json" };
let people = 0;

/** A browser signing in: login, the provider's consent, the callback (with its User-Agent and Cloudflare's location). */
async function browserSignsIn(
  who: { provider?: string; sub: string; email: string },
  userAgent: string,
  cf?: Record<string, string>,
  bindings: Record<string, unknown> = {},
): Promise<string> {
  vi.setSystemTime(Date.now() + 1_000);
  const login = await callWith(bindings, "/auth/login");
  const loginCookie = login.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  const callback = consent(login.headers.get("location") ?? "", who);
  const init = {
    headers: { cookie: loginCookie, "user-agent": userAgent, "cf-connecting-ip": "203.0.113.77" },
    ...(cf ? { cf } : {}),
  };
  const response = await callWith(bindings, callback.pathname + callback.search, init, callback.origin);
  expect(response.status).toBe(302);
  return [...setCookies(response)]
    .map(([name, line]) => `${name}=${line.slice(name.length + 1).split(";")[0]}`)
    .join("; ");
}

/** The JSON listing, as the route documents it. */
type Listed = SessionView;
async function listOf(cookie: string): Promise<Listed[]> {
  const response = await call("/auth/sessions", { headers: { cookie, ...JSON_ACCEPT } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessions: Listed[] }).sessions;
}

const refreshWorks = async (cookie: string) =>
  (
    await call("/auth/refresh", {
      method: "POST",
      headers: { cookie: cookie.split("; ").find((c) => c.startsWith("__Host-refresh="))! },
    })
  ).status === 204;
const revoke = (cookie: string, body: string, headers: Record<string, string> = {}) =>
  call("/auth/sessions/revoke", { method: "POST", headers: { cookie, ...SAME_ORIGIN, ...FORM, ...headers }, body });
/** A person the unit configuration admits (ALLOWED_DOMAINS=example.org, by the `hd` claim). */
const someone = () => ({
  provider: "default",
  sub: `sessions-${Date.now()}-${++people}`,
  email: `person${people}@example.org`,
  hd: "example.org",
});

describe("GET /auth/sessions", () => {
  it("lists the person's own sessions as JSON: which is this one, when, which browser, where; never an address", async () => {
    const person = someone();
    const signInAt = Date.now() + 1_000;
    const laptop = await browserSignsIn(person, MAC_CHROME, { country: "PT", city: "Lisbon" });
    const desktop = await browserSignsIn(person, LINUX_FIREFOX, { country: "DE" });
    await browserSignsIn(someone(), MAC_CHROME);
    const response = await call("/auth/sessions", { headers: { cookie: desktop, ...JSON_ACCEPT } });
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expect(text).not.toContain("203.0.113.77");
    const { sessions } = JSON.parse(text) as { sessions: Listed[] };
    expect(sessions.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        current: true,
        createdAt: new Date(signInAt + 1_000).toISOString(),
        lastActiveAt: new Date(signInAt + 1_000).toISOString(),
        device: "Firefox on Linux",
        place: "Germany",
      },
      {
        current: false,
        createdAt: new Date(signInAt).toISOString(),
        lastActiveAt: new Date(signInAt).toISOString(),
        device: "Chrome on macOS",
        place: "Lisbon, Portugal",
      },
    ]);
    // Each browser sees its own session first.
    expect((await listOf(laptop)).map((session) => [session.id, session.current])).toEqual([
      [sessions[1]!.id, true],
      [sessions[0]!.id, false],
    ]);
    // The id is no credential: as a refresh cookie it is refused.
    expect(await refreshWorks(`__Host-refresh=${sessions[1]!.id}`)).toBe(false);
  });

  it("sends a navigation without a session to sign in (and back here), anything else gets 401", async () => {
    const navigation = await call("/auth/sessions", { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get("location")).toBe("/auth/login?return_to=%2Fauth%2Fsessions");
    const login = await call(navigation.headers.get("location")!);
    expect(login.status).toBe(302);
    // After signing in, back to the list: the one own route a sign-in may return to, spelled exactly.
    expect(safeReturnTo("/auth/sessions", "/auth")).toBe("/auth/sessions");
    for (const other of ["/auth/sessions/revoke", "/AUTH/sessions", "/auth/sessions?x=1", "/auth/%73essions"]) {
      expect(safeReturnTo(other, "/auth")).toBe("/");
    }
    expect((await call("/auth/sessions", { headers: JSON_ACCEPT })).status).toBe(401);
    expect((await call("/auth/sessions", { method: "POST" })).status).toBe(405);
  });

  it("shows a page to a navigation, with a button for each session, under the strict page CSP", async () => {
    const person = { provider: "default", sub: `page-${Date.now()}`, email: "o'brien@example.org", hd: "example.org" };
    await browserSignsIn(person, LINUX_FIREFOX);
    const cookie = await browserSignsIn(person, MAC_CHROME, { country: "JP", city: "<Tokyo>" });
    const response = await call("/auth/sessions", {
      headers: { cookie, accept: "text/html", "sec-fetch-mode": "navigate" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("form-action 'self'");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response.headers.get("referrer-policy")).toBe("same-origin");
    const html = await response.text();
    const ids = (await listOf(cookie)).map((session) => session.id);
    for (const id of ids) expect(html).toContain(`<input type="hidden" name="id" value="${id}">`);
    expect(html).toContain('<input type="hidden" name="others" value="1">');
    expect(html).toContain("&#60;Tokyo&#62;, Japan");
    expect(html).not.toContain("<Tokyo>");
    expect(html).toContain("o&#39;brien@example.org");
    expect(html).toContain("Chrome on macOS</strong> (this browser)");
  });
});

describe("POST /auth/sessions/revoke", () => {
  it("ends another of the person's sessions by id: it is signed out, this one is not (303, or 204 for JSON)", async () => {
    const person = someone();
    const other = await browserSignsIn(person, LINUX_FIREFOX);
    const third = await browserSignsIn(person, LINUX_FIREFOX);
    const here = await browserSignsIn(person, MAC_CHROME);
    const [otherId, thirdId] = [
      (await listOf(other)).find((s) => s.current)!.id,
      (await listOf(third)).find((s) => s.current)!.id,
    ];
    const ended = await revoke(here, `id=${otherId}`);
    expect(ended.status).toBe(303);
    expect(ended.headers.get("location")).toBe("/auth/sessions?ended=1");
    expect(ended.headers.getSetCookie()).toEqual([]);
    expect(await refreshWorks(other)).toBe(false);
    const byJson = await revoke(here, `id=${thirdId}`, JSON_ACCEPT);
    expect(byJson.status).toBe(204);
    expect(await refreshWorks(third)).toBe(false);
    expect((await listOf(here)).map((s) => s.current)).toEqual([true]);
  });

  it("answers another person's id as it answers an unknown one, and changes nothing", async () => {
    const stranger = await browserSignsIn(someone(), LINUX_FIREFOX);
    const strangerId = (await listOf(stranger))[0]!.id;
    const here = await browserSignsIn(someone(), MAC_CHROME);
    const theirs = await revoke(here, `id=${strangerId}`);
    const unknown = await revoke(here, `id=${"A".repeat(22)}`);
    expect([theirs.status, theirs.headers.get("location")]).toEqual([303, "/auth/sessions?ended=1"]);
    expect([unknown.status, unknown.headers.get("location")]).toEqual([theirs.status, theirs.headers.get("location")]);
    expect(await refreshWorks(stranger)).toBe(true);
  });

  it("others=1 ends every other session of the person and keeps this one", async () => {
    const person = someone();
    const others = [await browserSignsIn(person, LINUX_FIREFOX), await browserSignsIn(person, LINUX_FIREFOX)];
    const bystander = await browserSignsIn(someone(), LINUX_FIREFOX);
    const here = await browserSignsIn(person, MAC_CHROME);
    expect((await listOf(here)).length).toBe(3);
    const response = await revoke(here, "others=1", { "user-agent": MAC_CHROME });
    expect(response.status).toBe(303);
    for (const cookie of others) expect(await refreshWorks(cookie)).toBe(false);
    expect(await refreshWorks(bystander)).toBe(true);
    // This browser continues as a fresh session: new cookies, and its old ones are ended too.
    const fresh = [...setCookies(response)].map(([, line]) => line.split(";")[0]).join("; ");
    expect(fresh).toMatch(/__Host-access=.+; __Host-refresh=.+/);
    expect(await refreshWorks(here)).toBe(false);
    expect((await listOf(fresh)).map((s) => [s.device, s.current])).toEqual([["Chrome on macOS", true]]);
  });

  it("ending the current session is a logout: cookies cleared, 303 to the signed-out page", async () => {
    const here = await browserSignsIn(someone(), MAC_CHROME);
    const [current] = await listOf(here);
    const response = await revoke(here, `id=${current!.id}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/auth/logout");
    const cleared = setCookies(response);
    expect(cleared.get("__Host-access")).toBe("__Host-access=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    expect(cleared.get("__Host-refresh")).toBe("__Host-refresh=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    expect(await refreshWorks(here)).toBe(false);
  });

  it("refuses a cross-site request with 403 and changes nothing", async () => {
    const person = someone();
    const other = await browserSignsIn(person, LINUX_FIREFOX);
    const here = await browserSignsIn(person, MAC_CHROME);
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }] as Record<
      string,
      string
    >[]) {
      const response = await call("/auth/sessions/revoke", {
        method: "POST",
        headers: { cookie: here, ...FORM, ...headers },
        body: "others=1",
      });
      expect(response.status).toBe(403);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect(await refreshWorks(other)).toBe(true);
  });

  it(`ends ${MAX_LISTED_SESSIONS - 1} other sessions in one request with four writes, whatever their number`, async () => {
    const person = { provider: "default", sub: `many-${Date.now()}`, email: "many@example.org", hd: "example.org" };
    const others = [];
    for (let i = 0; i < MAX_LISTED_SESSIONS - 1; i++) others.push(await signedIn(person));
    vi.setSystemTime(Date.now() + 1_000);
    const { cookie } = await signedIn(person);
    const before = cloudflareKv.stats();
    const response = await revoke(cookie, "others=1");
    const after = cloudflareKv.stats();
    expect(response.status).toBe(303);
    // The person's mark and a fresh session for this browser (its family, list entry and token).
    expect(after.writes - before.writes).toBe(4);
    expect(after.reads - before.reads).toBeLessThan(10);
    for (const other of [others[0]!, others.at(-1)!]) expect(await refreshWorks(other.cookie)).toBe(false);
    const fresh = cookieValue(setCookies(response).get("__Host-refresh"));
    expect(await refreshWorks(`__Host-refresh=${fresh}`)).toBe(true);
  }, 60_000);

  it("refuses a form without exactly one of id or others=1 (400), and a request without a session (401)", async () => {
    const { cookie, issued } = await signedIn();
    for (const body of [
      "",
      "others=2",
      "id=short",
      `id=${issued.familyId}&others=1`,
      `id=${issued.familyId}&id=${issued.familyId}`,
      `id=${"A".repeat(300)}`,
    ]) {
      expect((await revoke(cookie, body)).status, body).toBe(400);
    }
    expect((await revoke("", `id=${issued.familyId}`, JSON_ACCEPT)).status).toBe(401);
    expect((await call("/auth/sessions/revoke", { headers: { cookie } })).status).toBe(405);
    expect(await refreshWorks(cookie)).toBe(true);
  });
});

describe("with the Durable Object store", () => {
  const DO = { SESSION_STORE: "durable-object" };
  const doCall = (path: string, init: RequestInit) => callWith(DO, path, init);

  it("lists the person's sessions exactly and ends another one by id", async () => {
    const person = someone();
    const other = await browserSignsIn(person, LINUX_FIREFOX, undefined, DO);
    const here = await browserSignsIn(person, MAC_CHROME, { country: "NZ", city: "Wellington" }, DO);
    // The Durable Object store's credential names the person's object first.
    expect(
      here
        .split("; ")
        .find((c) => c.startsWith("__Host-refresh="))!
        .split("."),
    ).toHaveLength(3);
    const list = async (cookie: string) =>
      (
        (await (await doCall("/auth/sessions", { headers: { cookie, ...JSON_ACCEPT } })).json()) as {
          sessions: Listed[];
        }
      ).sessions;
    const sessions = await list(here);
    expect(sessions.map((s) => [s.current, s.device, s.place])).toEqual([
      [true, "Chrome on macOS", "Wellington, New Zealand"],
      [false, "Firefox on Linux", "Unknown location"],
    ]);
    const ended = await doCall("/auth/sessions/revoke", {
      method: "POST",
      headers: { cookie: here, ...SAME_ORIGIN, ...FORM },
      body: `id=${sessions[1]!.id}`,
    });
    expect(ended.status).toBe(303);
    const refreshOther = await doCall("/auth/refresh", {
      method: "POST",
      headers: { cookie: other.split("; ").find((c) => c.startsWith("__Host-refresh="))! },
    });
    expect(refreshOther.status).toBe(401);
    expect((await list(here)).map((s) => s.current)).toEqual([true]);
  });
});

describe("what a session is recognised by", () => {
  it.each([
    [MAC_CHROME, "Chrome on macOS"],
    [LINUX_FIREFOX, "Firefox on Linux"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge on Windows",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    ["curl/8.5.0", "curl"],
    ["", undefined],
    ["x".repeat(2000), undefined],
  ])("%s is %s", (userAgent, expected) => {
    expect(deviceName(userAgent)).toBe(expected);
  });

  it("names a country and city from Cloudflare's data, and nothing for unknown or odd values", () => {
    expect(placeName({ country: "PT", city: "Lisbon" })).toBe("Lisbon, Portugal");
    expect(placeName({ country: "US" })).toBe("United States");
    expect(placeName({ country: "XX", city: "Nowhere" })).toBeUndefined();
    expect(placeName({ country: "T1" })).toBeUndefined();
    expect(placeName({ country: "pt", city: "Lisbon" })).toBeUndefined();
    expect(placeName({ country: "FR", city: "Paris\nInjected" })).toBe("France");
    expect(placeName(undefined)).toBeUndefined();
  });
});

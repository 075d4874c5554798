import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

const originPaths = () => stack.originRequests.map((request) => request.url);

describe("sign-in through the local provider, end to end", () => {
  it("takes a navigation through login and back to the page asked for, with a session", async () => {
    const browser = new Browser();
    const { response, hops } = await browser.signIn(`${stack.workerUrl}/docs/page?x=1`, "ada@example.com");
    expect(hops[0]).toMatchObject({ status: 302, location: "/auth/login?return_to=%2Fdocs%2Fpage%3Fx%3D1" });
    const toProvider = new URL(hops[1]!.location!);
    expect(toProvider.origin).toBe(stack.providerUrl);
    expect(toProvider.searchParams.get("code_challenge_method")).toBe("S256");

    const callback = hops.find((hop) => hop.url.startsWith(`${stack.workerUrl}/auth/callback`))!;
    expect(callback.status).toBe(302);
    expect(callback.location).toBe("/docs/page?x=1");
    const access = callback.setCookies.find((cookie) => cookie.startsWith("__Host-access="))!;
    const refresh = callback.setCookies.find((cookie) => cookie.startsWith("__Host-refresh="))!;
    // ACCESS_TOKEN_TTL unset: 15 minutes.
    expect(access).toMatch(/; Max-Age=900; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(refresh).toMatch(/; Max-Age=259\d{4}; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(callback.setCookies.join()).not.toMatch(/Domain=/i);

    expect(response.status).toBe(200);
    const received = stack.originRequests.at(-1)!;
    expect(received.url).toBe("/docs/page?x=1");
    expect(received.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(received.headers["x-auth-user-sub"]).toMatch(/^[0-9a-f]+$/);
    expect(received.headers.cookie ?? "").not.toMatch(/__Host-/);
  });

  it("sends the origin an assertion it can verify against the worker's JWKS", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "grace@example.org");
    const assertion = stack.originRequests.at(-1)!.headers["x-auth-assertion"]!;
    const jwks = createRemoteJWKSet(new URL(`${stack.workerUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(assertion, jwks, {
      issuer: stack.workerUrl,
      audience: "e2e-origin",
    });
    expect(payload).toMatchObject({ email: "grace@example.org", hd: "example.org" });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
    expect(protectedHeader.kid).toBe(stack.sessionKeys.keys[0]!.kid);
    const me = await browser.request(`${stack.workerUrl}/auth/me`);
    expect(await me.json()).toMatchObject({ email: "grace@example.org", sub: payload.sub });
  });

  it("answers 302 to navigations and 401 to API calls without a session; the origin sees neither", async () => {
    const before = originPaths().length;
    const navigation = await fetch(`${stack.workerUrl}/secret`, {
      redirect: "manual",
      headers: { accept: "text/html" },
    });
    expect(navigation.status).toBe(302);
    const api = await fetch(`${stack.workerUrl}/api/secret`, { headers: { accept: "application/json" } });
    expect(api.status).toBe(401);
    expect(api.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await api.json()).toHaveProperty("error");
    expect(originPaths().length).toBe(before);
  });

  it("refreshes from the refresh cookie alone and rotates it", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "lin@example.com");
    const oldRefresh = browser.jar.get(stack.workerUrl, "__Host-refresh");
    browser.jar.delete(stack.workerUrl, "__Host-access");
    const response = await browser.request(`${stack.workerUrl}/api/whoami`);
    expect(response.status).toBe(200);
    expect(stack.originRequests.at(-1)!.headers["x-auth-user-email"]).toBe("lin@example.com");
    expect(browser.jar.get(stack.workerUrl, "__Host-access")).toBeTruthy();
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).not.toBe(oldRefresh);
    const refreshed = await browser.request(`${stack.workerUrl}/auth/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(204);
  });

  it("lets five parallel requests carrying only the same refresh cookie all succeed", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "tabs5@example.com");
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${stack.workerUrl}/api/whoami`, { headers: { cookie: `__Host-refresh=${refresh}` } }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("keeps several Set-Cookie headers from the origin and marks authenticated responses private", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "sam@example.com");
    const response = await browser.request(`${stack.workerUrl}/api/whoami`);
    const names = response.headers.getSetCookie().map((cookie) => cookie.split("=")[0]);
    expect(names).toEqual(expect.arrayContaining(["origin_pref", "origin_other"]));
    expect(response.headers.get("cache-control")).toMatch(/private|no-store/);
  });

  it("signs out: revokes the session in KV, clears the cookies, and the old refresh token is dead", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "kim@example.com");
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const crossSite = await browser.request(`${stack.workerUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const logout = await browser.request(`${stack.workerUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: stack.workerUrl },
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.get("location")).toBe("/auth/logout");
    expect(browser.jar.get(stack.workerUrl, "__Host-access")).toBeUndefined();
    const replay = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${refresh}` },
    });
    expect(replay.status).toBe(401);
    const again = await browser.request(`${stack.workerUrl}/`, { headers: { accept: "text/html" } });
    expect(again.status).toBe(302);
  });

  it("lets two logins started in two tabs both finish", async () => {
    const browser = new Browser();
    const tabA = await browser.navigate(`${stack.workerUrl}/a`);
    const tabB = await browser.navigate(`${stack.workerUrl}/b`);
    expect(tabA.response.status).toBe(200);
    expect(tabB.response.status).toBe(200);
    for (const [tab, path] of [
      [tabB, "/b"],
      [tabA, "/a"],
    ] as const) {
      const post = await browser.request(tab.url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "email=tabs%40example.com",
      });
      const back = await browser.navigate(new URL(post.headers.get("location")!, tab.url).href);
      expect(back.hops.find((hop) => hop.url.includes("/auth/callback"))?.location).toBe(path);
      expect(back.response.status).toBe(200);
    }
  });

  it("serves public paths without a session and strips spoofed identity headers", async () => {
    const response = await fetch(`${stack.workerUrl}/public/info`, {
      headers: { "X-Auth-User-Email": "boss@example.com", x_auth_user_sub: "1" },
    });
    expect(response.status).toBe(200);
    const received = stack.originRequests.at(-1)!;
    expect(received.url).toBe("/public/info");
    expect(Object.keys(received.headers).filter((name) => /^x[-_]auth/i.test(name))).toEqual([]);
  });

  it("never lets return_to leave our origin", async () => {
    const browser = new Browser();
    const login = await browser.request(
      `${stack.workerUrl}/auth/login?return_to=${encodeURIComponent("//evil.example/x")}`,
    );
    expect(login.status).toBe(302);
    const result = await browser.signIn(new URL(login.headers.get("location")!).href, "ret@example.com");
    const callback = result.hops.find((hop) => hop.url.includes("/auth/callback"))!;
    expect(callback.location).toBe("/");
  });

  it("keeps tokens out of URLs and page bodies", async () => {
    const browser = new Browser();
    const { hops } = await browser.signIn(`${stack.workerUrl}/`, "leak@example.com");
    const access = browser.jar.get(stack.workerUrl, "__Host-access")!;
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    expect(decodeJwt(access).email).toBe("leak@example.com");
    for (const hop of hops) expect(`${hop.url} ${hop.location ?? ""}`).not.toContain(refresh);
    const me = await (await browser.request(`${stack.workerUrl}/auth/me`)).text();
    expect(me).not.toContain(access);
    expect(me).not.toContain(refresh);
  });
});

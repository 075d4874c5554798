import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/** A rule's maxAge (docs/access-policies.md, "A fresh sign-in for sensitive paths") against the real local provider, over HTTP. */
const MAX_AGE = 300;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    // This account's provider says it signed in an hour ago, whatever it is asked.
    idTokenHook: (claims) =>
      String(claims.email).startsWith("long-ago@")
        ? { ...claims, auth_time: Math.floor(Date.now() / 1000) - 3600 }
        : undefined,
    vars: { ACCESS_POLICY: JSON.stringify([{ path: "/admin/*", allow: { domains: ["*"] }, maxAge: MAX_AGE }]) },
  });
});
afterAll(() => stack?.close());

const api = (browser: Browser, path: string) =>
  browser.request(`${stack.workerUrl}${path}`, { headers: { accept: "application/json" } });

describe("a rule's maxAge", () => {
  it("sends a session with no recent sign-in to sign in again with max_age, and then lets it through, once", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/home`, "ops@example.com");
    const before = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    expect((await api(browser, "/home")).status).toBe(200);

    // An API call gets RFC 9470's challenge, and nothing reaches the origin.
    const originBefore = stack.originRequests.length;
    const refused = await api(browser, "/admin/keys");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe(
      `Bearer realm="edge-auth", error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=${MAX_AGE}`,
    );
    expect(await refused.json()).toMatchObject({ error: "insufficient_user_authentication" });
    expect(stack.originRequests.length).toBe(originBefore);

    // A navigation goes to sign in again, the provider is asked for max_age, and the page opens.
    const { hops, response, url } = await browser.navigate(`${stack.workerUrl}/admin/keys?x=1`);
    expect(hops[0]!.location).toBe(`/auth/login?return_to=%2Fadmin%2Fkeys%3Fx%3D1&max_age=${MAX_AGE}`);
    const toProvider = new URL(hops.find((hop) => hop.location?.startsWith(stack.providerUrl))!.location!);
    expect(toProvider.searchParams.get("max_age")).toBe(String(MAX_AGE));
    expect(url).toBe(`${stack.workerUrl}/admin/keys?x=1`);
    expect(response.status).toBe(200);

    // The fresh sign-in is a new session; the old one is over.
    const after = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    expect(after).not.toBe(before);
    const old = await fetch(`${stack.workerUrl}/home`, {
      headers: { accept: "application/json", cookie: `__Host-refresh=${before}` },
    });
    expect(old.status).toBe(401);

    // Moving between the rule's paths and the rest asks nobody again.
    for (const path of ["/home", "/admin/keys", "/home", "/admin/other"]) {
      const again = await browser.navigate(`${stack.workerUrl}${path}`);
      expect(again.hops.map((hop) => hop.status)).toEqual([200]);
    }
  });

  it("refuses (400) a sign-in for max_age whose auth_time is older than that, and starts no session", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/home`, "long-ago@example.com");
    expect((await api(browser, "/admin/x")).status).toBe(401);
    const { hops } = await browser.navigate(`${stack.workerUrl}/admin/x`);
    const callback = hops.find((hop) => hop.url.startsWith(`${stack.workerUrl}/auth/callback`))!;
    expect(callback.status).toBe(400);
    expect(callback.setCookies.filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie))).toEqual([]);
  });

  it("refuses a sign-in link with a malformed or repeated max_age", async () => {
    for (const query of ["max_age=-1", "max_age=1e3", "max_age=1&max_age=2", "max_age=99999999999"]) {
      const response = await fetch(`${stack.workerUrl}/auth/login?${query}`, { redirect: "manual" });
      expect(response.status).toBe(400);
    }
  });
});

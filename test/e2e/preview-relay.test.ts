import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * The preview relay end to end, over HTTP, with two hostnames of one worker under wrangler: the
 * registered host http://127.0.0.1:PORT (PUBLIC_URL, the only redirect URI the local provider
 * knows) and a preview host http://localhost:PORT (PREVIEW_HOSTS).
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ previewHost: true });
});
afterAll(() => stack?.close());

describe("a preview deployment signs in through the registered host", () => {
  it("ends on the preview with its own session, the provider having seen only the registered callback", async () => {
    const browser = new Browser();
    const { response, hops } = await browser.signIn(`${stack.previewUrl}/app?x=1`, "ada@example.com");
    expect(response.status).toBe(200);
    const toProvider = hops.find((hop) => hop.location?.startsWith(stack.providerUrl))!;
    expect(new URL(toProvider.location!).searchParams.get("redirect_uri")).toBe(`${stack.workerUrl}/auth/callback`);
    const relay = hops.find((hop) => hop.url.startsWith(`${stack.previewUrl}/auth/relay?code=`))!;
    expect(relay).toMatchObject({ status: 302, location: "/app?x=1" });
    // Sessions: the preview's, and none at the registered host.
    expect(browser.jar.get(stack.previewUrl, "__Host-refresh")).toBeTruthy();
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).toBeUndefined();
    const received = stack.originRequests.at(-1)!;
    expect(received.url).toBe("/app?x=1");
    expect(received.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(decodeJwt(received.headers["x-auth-assertion"]!).iss).toBe(stack.previewUrl);
  });

  it("refuses the same code a second time, in the same browser and in another", async () => {
    const browser = new Browser();
    const { hops } = await browser.signIn(`${stack.previewUrl}/again`, "grace@example.org");
    const relayUrl = hops.find((hop) => hop.url.startsWith(`${stack.previewUrl}/auth/relay?code=`))!.url;
    // The preview's login cookie as the preview set it: a replay that carries it too.
    const previewLogin = hops.find((hop) => hop.url.startsWith(`${stack.previewUrl}/auth/login`))!;
    const loginCookie = previewLogin.setCookies.find((line) => line.startsWith("__Host-login-"))!.split(";")[0]!;
    const before = stack.originRequests.length;
    const replay = await browser.request(relayUrl, { headers: { accept: "text/html", cookie: loginCookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).not.toContain(new URL(relayUrl).searchParams.get("code")!);
    const elsewhere = await new Browser().request(relayUrl);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.getSetCookie().join()).not.toMatch(/__Host-(access|refresh)=[^;]/);
    expect(stack.originRequests.length).toBe(before);
  });

  it("never sends a sign-in to a host outside PREVIEW_HOSTS", async () => {
    const state = "s".repeat(43);
    for (const to of [
      "http://evil.example",
      `http://localhost:${new URL(stack.workerUrl).port}0`,
      "http://127.0.0.2:1",
    ]) {
      const response = await fetch(
        `${stack.workerUrl}/auth/login?relay_to=${encodeURIComponent(to)}&relay_state=${state}`,
        { redirect: "manual" },
      );
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
  });
});

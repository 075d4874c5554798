import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateKeySet } from "../../../scripts/keys.mjs";
import { loginCookieName } from "../../../src/oidc/login-transaction";
import { signLoginTransaction } from "../../../src/tokens/login-token";
import { callWith, cookieValue, ISSUER, testConfig } from "../../support/workerd/helpers";
import { consent } from "../../support/workerd/provider-stub";
import type { Echo } from "../../support/echo";

/**
 * Preview deployments sign in through the registered host (PUBLIC_URL https://app.test) and get
 * the result by a one-time, 60-second, signed, audience-bound relay code. Two real hostnames of
 * the same worker, each with its own cookies: https://app.test and a preview host.
 */
const PREVIEW_HOSTS = "*-app.preview.test";
const bindings = { PREVIEW_HOSTS };
const PREVIEW = "https://pr-42-app.preview.test";
const OTHER_PREVIEW = "https://pr-7-app.preview.test";

/** A browser: one cookie jar per host (the worker's cookies are host-only `__Host-` ones). */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  async get(url: string, headers: Record<string, string> = {}): Promise<Response> {
    const target = new URL(url);
    const cookies = this.jar.get(target.host) ?? new Map<string, string>();
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await callWith(
      bindings,
      target.pathname + target.search,
      { headers: { ...headers, ...(cookie ? { cookie } : {}) } },
      target.origin,
    );
    for (const line of response.headers.getSetCookie()) {
      const name = line.slice(0, line.indexOf("="));
      if (/Max-Age=0\b/.test(line)) cookies.delete(name);
      else cookies.set(name, cookieValue(line)!);
    }
    this.jar.set(target.host, cookies);
    return response;
  }

  cookieNames(origin: string): string[] {
    return [...(this.jar.get(new URL(origin).host)?.keys() ?? [])];
  }
}

const location = (response: Response) => response.headers.get("location") ?? "";

/**
 * The whole relay in one browser, stopping before the preview redeems the code: returns the
 * relay URL, and the preview's cookies as they were before (to replay with).
 */
async function relayedSignIn(browser: Browser, who = { sub: "1001", email: "ada@example.com" }, preview = PREVIEW) {
  const gate = await browser.get(`${preview}/docs?x=1`, { accept: "text/html" });
  expect(gate.status).toBe(302);
  const previewLogin = await browser.get(new URL(location(gate), preview).href);
  expect(previewLogin.status).toBe(302);
  const registeredLogin = new URL(location(previewLogin));
  expect(registeredLogin.origin).toBe(ISSUER);
  expect(registeredLogin.searchParams.get("relay_to")).toBe(preview);
  const toProvider = await browser.get(registeredLogin.href);
  expect(toProvider.status).toBe(302);
  // The provider only ever sees the registered redirect URI.
  expect(new URL(location(toProvider)).searchParams.get("redirect_uri")).toBe(`${ISSUER}/auth/callback`);
  const callback = await browser.get(consent(location(toProvider), who).href);
  return { callback, relayUrl: location(callback), previewCookies: new Map(browser.jar.get(new URL(preview).host)) };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("signing a preview deployment in through the registered host", () => {
  it("relays the sign-in to the preview host, which starts its own session; the registered host keeps none", async () => {
    const browser = new Browser();
    const { callback, relayUrl } = await relayedSignIn(browser);
    expect(callback.status).toBe(302);
    expect(relayUrl.startsWith(`${PREVIEW}/auth/relay?code=`)).toBe(true);
    expect(callback.headers.get("referrer-policy")).toBe("no-referrer");
    // The code is a relay code for this preview alone, living a minute: not a session token.
    const code = new URL(relayUrl).searchParams.get("code")!;
    expect(decodeProtectedHeader(code).typ).toBe("relay+jwt");
    const claims = decodeJwt(code);
    expect(claims).toMatchObject({ iss: ISSUER, aud: PREVIEW, sub: "1001" });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect(browser.cookieNames(ISSUER).filter((name) => name === "__Host-access" || name === "__Host-refresh")).toEqual(
      [],
    );

    const relayed = await browser.get(relayUrl);
    expect(relayed.status).toBe(302);
    expect(location(relayed)).toBe("/docs?x=1");
    expect(browser.cookieNames(PREVIEW)).toEqual(expect.arrayContaining(["__Host-access", "__Host-refresh"]));
    // Its login cookie is spent.
    expect(browser.cookieNames(PREVIEW).filter((name) => name.startsWith("__Host-login-"))).toEqual([]);

    const page = await browser.get(`${PREVIEW}/docs?x=1`);
    expect(page.status).toBe(200);
    const echo = (await page.json()) as Echo;
    expect(echo.headers["x-auth-user-sub"]).toBe("1001");
    // The preview's tokens are its own: issued by the preview origin, useless on the registered host.
    expect(decodeJwt(echo.headers["x-auth-assertion"]!).iss).toBe(PREVIEW);
    const access = browser.jar.get(new URL(PREVIEW).host)!.get("__Host-access")!;
    expect((await callWith(bindings, "/auth/me", { headers: { authorization: `Bearer ${access}` } })).status).toBe(401);
    expect((await browser.get(`${ISSUER}/auth/me`)).status).toBe(401);
  });

  it("accepts a code once: the same browser replaying it is refused", async () => {
    const browser = new Browser();
    const { relayUrl, previewCookies } = await relayedSignIn(browser);
    expect((await browser.get(relayUrl)).status).toBe(302);
    // The replay carries everything the first redemption had, the preview's login cookie included.
    browser.jar.set(new URL(PREVIEW).host, new Map(previewCookies));
    const replay = await browser.get(relayUrl, { accept: "text/html" });
    expect(replay.status).toBe(400);
    expect(replay.headers.getSetCookie().filter((line) => /^__Host-(access|refresh)=[^;]/.test(line))).toEqual([]);
    expect(await replay.text()).not.toContain(new URL(relayUrl).searchParams.get("code")!);
  });

  it("refuses a code in a browser that did not start the sign-in on that preview", async () => {
    const { relayUrl } = await relayedSignIn(new Browser());
    const victim = new Browser();
    const response = await victim.get(relayUrl);
    expect(response.status).toBe(400);
    expect(victim.cookieNames(PREVIEW).filter((name) => name === "__Host-access" || name === "__Host-refresh")).toEqual(
      [],
    );
  });

  it("spends a code the moment its signature verifies: after it lands in the wrong browser, the right one cannot redeem it", async () => {
    const browser = new Browser();
    const { relayUrl } = await relayedSignIn(browser);
    // A leaked code (a shared link, a history sync) opened first in a browser without the login cookie.
    expect((await new Browser().get(relayUrl)).status).toBe(400);
    const late = await browser.get(relayUrl);
    expect(late.status).toBe(400);
    expect(
      browser.cookieNames(PREVIEW).filter((name) => name === "__Host-access" || name === "__Host-refresh"),
    ).toEqual([]);
  });

  it("refuses a code on another preview host, on the registered host, and after its minute", async () => {
    const browser = new Browser();
    const { relayUrl } = await relayedSignIn(browser);
    const code = new URL(relayUrl).searchParams.get("code")!;
    // Another preview, even one where this browser waits for a sign-in with the very same state
    // (made here with the worker's key): the code names its audience.
    const state = decodeJwt(code).st as string;
    const config = await testConfig();
    const waiting = await signLoginTransaction(
      config.sessionKeys!,
      OTHER_PREVIEW,
      `${OTHER_PREVIEW}/auth/callback`,
      { state, nonce: "", codeVerifier: "", returnTo: "/" },
      Math.floor(Date.now() / 1000),
    );
    browser.jar.set(new URL(OTHER_PREVIEW).host, new Map([[loginCookieName(state), waiting]]));
    expect((await browser.get(`${OTHER_PREVIEW}/auth/relay?code=${code}`)).status).toBe(400);
    expect(browser.cookieNames(OTHER_PREVIEW)).not.toContain("__Host-access");
    // The registered host hands codes out and never takes one.
    expect((await browser.get(`${ISSUER}/auth/relay?code=${code}`)).status).toBe(404);
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ["Date"] });
    expect((await browser.get(relayUrl)).status).toBe(400);
  });

  it("refuses forged codes: another key, an altered claim, a token of another kind, a code living too long", async () => {
    const browser = new Browser();
    const { relayUrl, previewCookies } = await relayedSignIn(browser);
    const genuine = new URL(relayUrl).searchParams.get("code")!;
    const claims = decodeJwt(genuine);
    const header = decodeProtectedHeader(genuine);
    const config = await testConfig();
    const stranger = (await generateKeySet("ES256")).keys[0]!;
    const { importJWK } = await import("jose");
    const forge = async (key: CryptoKey, change: Record<string, unknown> = {}, typ = "relay+jwt") =>
      new SignJWT({ ...claims, ...change }).setProtectedHeader({ alg: "ES256", kid: header.kid!, typ }).sign(key);
    const [, payload, signature] = genuine.split(".");
    const altered = `${genuine.split(".")[0]}.${btoa(JSON.stringify({ ...claims, sub: "0" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_")}.${signature}`;
    const forged = [
      await forge((await importJWK(stranger, "ES256")) as CryptoKey),
      altered,
      await forge(config.sessionKeys!.signing.key, {}, "session+jwt"),
      await forge(config.sessionKeys!.signing.key, { exp: claims.iat! + 3600 }),
      `${genuine.split(".")[0]}.${payload}.`,
    ];
    for (const code of forged) {
      browser.jar.set(new URL(PREVIEW).host, new Map(previewCookies));
      const response = await browser.get(`${PREVIEW}/auth/relay?code=${encodeURIComponent(code)}`);
      expect(response.status).toBe(400);
      expect(browser.cookieNames(PREVIEW)).not.toContain("__Host-access");
    }
    // The genuine one still works afterwards: the forgeries burnt nothing.
    browser.jar.set(new URL(PREVIEW).host, new Map(previewCookies));
    expect((await browser.get(relayUrl)).status).toBe(302);
  });

  it("relays only to hosts PREVIEW_HOSTS matches, over https (http only on loopback)", async () => {
    const state = "s".repeat(43);
    for (const to of [
      "https://evil.test",
      "https://pr-1-app.preview.test.evil.test",
      "http://pr-42-app.preview.test",
      `${PREVIEW}/path`,
      `${PREVIEW}:8443`,
      ISSUER,
      "https://x.y-app.preview.test",
      "https://-app.preview.test",
      "//evil.test",
      "javascript:alert(1)",
    ]) {
      const response = await callWith(bindings, `/auth/login?relay_to=${encodeURIComponent(to)}&relay_state=${state}`);
      expect(response.status, to).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
    // A malformed state is refused too, and so is any relay without PREVIEW_HOSTS.
    expect(
      (await callWith(bindings, `/auth/login?relay_to=${encodeURIComponent(PREVIEW)}&relay_state=short`)).status,
    ).toBe(400);
    expect(
      (await callWith({}, `/auth/login?relay_to=${encodeURIComponent(PREVIEW)}&relay_state=${state}`)).status,
    ).toBe(400);
  });

  it("never relays to a host outside the pattern: its sign-in moves to the registered host, whose tokens are PUBLIC_URL's", async () => {
    const login = await callWith(bindings, "/auth/login?return_to=/x", {}, "https://pr-42-app.elsewhere.test");
    expect(login.status).toBe(302);
    expect(location(login)).toBe(`${ISSUER}/auth/login?return_to=/x`);
    expect(login.headers.getSetCookie()).toEqual([]);
    const there = await callWith(bindings, "/auth/login?return_to=/x");
    const toProvider = new URL(location(there));
    expect(toProvider.origin).toBe("https://issuer.test");
    expect(toProvider.searchParams.get("redirect_uri")).toBe(`${ISSUER}/auth/callback`);
    // And a preview host's own callback is nobody's.
    expect((await callWith(bindings, "/auth/callback?code=x&state=y", {}, PREVIEW)).status).toBe(404);
  });
});

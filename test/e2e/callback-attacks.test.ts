import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

/** Runs a login up to the provider's redirect back, without calling our callback. */
async function codeFor(browser: Browser, email: string): Promise<URL> {
  const page = await browser.navigate(`${stack.workerUrl}/`);
  const post = await browser.request(page.url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email }),
  });
  let location = new URL(post.headers.get("location")!, page.url);
  for (let hop = 0; hop < 5 && !location.href.startsWith(`${stack.workerUrl}/auth/callback`); hop++) {
    const next = await browser.request(location.href);
    location = new URL(next.headers.get("location")!, location);
  }
  return location;
}

/** GET with the path exactly as written (fetch() would normalize dot segments first). */
function rawGet(base: string, path: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path, headers: { accept: "application/json" } }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on("error", reject);
    request.end();
  });
}

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie));

describe("callback attacks", () => {
  it("refuses a code from another login, even with this browser's valid state (PKCE and nonce)", async () => {
    const victim = new Browser();
    const attacker = new Browser();
    const victimCallback = await codeFor(victim, "victim@example.com");
    const attackerCallback = await codeFor(attacker, "attacker@example.com");
    const spliced = new URL(victimCallback);
    spliced.searchParams.set("code", attackerCallback.searchParams.get("code")!);
    const response = await victim.request(spliced.href);
    expect(response.status).toBe(400);
    expect(sessionCookies(response)).toEqual([]);
  });

  it("refuses an authorization response whose iss is not our provider (RFC 9207)", async () => {
    const browser = new Browser();
    const callback = await codeFor(browser, "mixup@example.com");
    callback.searchParams.set("iss", "https://evil.example");
    const response = await browser.request(callback.href);
    expect(response.status).toBe(400);
    expect(sessionCookies(response)).toEqual([]);
  });

  it("refuses login CSRF: a callback with a code but no login started in this browser", async () => {
    const attacker = new Browser();
    const callback = await codeFor(attacker, "attacker@example.com");
    const victim = new Browser();
    const response = await victim.request(callback.href);
    expect(response.status).toBe(400);
    expect(sessionCookies(response)).toEqual([]);
  });
});

describe("public paths and smuggling: an unauthenticated request never reaches a protected path", () => {
  it.each([
    "/public/../secret",
    "/public/%2e%2e/secret",
    "/public/%2E%2E%2Fsecret",
    "/public/..%2fsecret",
    "/public%2f..%2fsecret",
    "/public\\..\\secret",
    "/public/;/../secret",
    "/public;/secret",
    "//public/../secret",
    "/publicity",
    "/PUBLIC/x",
    "/healthz/../secret",
  ])("%s", async (path) => {
    const before = stack.originRequests.length;
    const status = await rawGet(`${stack.workerUrl}`, path);
    const reached = stack.originRequests.slice(before).map((request) => request.url);
    for (const url of reached) {
      expect(url.startsWith("/public/") || url === "/healthz").toBe(true);
      expect(decodeURIComponent(url)).not.toMatch(/\.\.|;|\\/);
    }
    if (reached.length === 0) expect(status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ vars: { ACCESS_TOKEN_TTL: "1", REFRESH_TOKEN_TTL: "4", REFRESH_REUSE_GRACE: "1" } });
});
afterAll(() => stack?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("lifetimes, in real time over HTTP", () => {
  it("an expired access token is refused at once, and the refresh cookie renews the session", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "short@example.com");
    const access = browser.jar.get(stack.workerUrl, "__Host-access")!;
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    await sleep(1_100);
    const expired = await fetch(`${stack.workerUrl}/api/x`, { headers: { cookie: `__Host-access=${access}` } });
    expect(expired.status).toBe(401);
    const renewed = await fetch(`${stack.workerUrl}/api/x`, {
      headers: { cookie: `__Host-access=${access}; __Host-refresh=${refresh}` },
    });
    expect(renewed.status).toBe(200);
    expect(
      renewed.headers
        .getSetCookie()
        .some((cookie) => cookie.startsWith("__Host-refresh=") && !cookie.includes(refresh)),
    ).toBe(true);
  });

  it("a rotated refresh token replayed after the grace period revokes the family, newest token included", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "replay@example.com");
    const first = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const rotated = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${first}` },
    });
    expect(rotated.status).toBe(204);
    const newest = rotated.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith("__Host-refresh="))!
      .split(";")[0]!
      .split("=")[1]!;
    await sleep(1_200);
    const replay = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${first}` },
    });
    expect(replay.status).toBe(401);
    const afterTheft = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${newest}` },
    });
    expect(afterTheft.status).toBe(401);
  });

  it("a session past REFRESH_TOKEN_TTL is refused and its cookies cleared", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "ending@example.com");
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    await sleep(4_100);
    const response = await fetch(`${stack.workerUrl}/api/x`, { headers: { cookie: `__Host-refresh=${refresh}` } });
    expect(response.status).toBe(401);
    const cleared = response.headers.getSetCookie();
    expect(cleared).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^__Host-access=; Max-Age=0/),
        expect.stringMatching(/^__Host-refresh=; Max-Age=0/),
      ]),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  // No grace: a rotated refresh token presented again is theft at once, so a lost successor
  // would sign the person out on the next request.
  stack = await startStack({ originDown: true, vars: { REFRESH_REUSE_GRACE: "0" } });
});
afterAll(() => stack?.close());

describe("an unreachable origin", () => {
  it("answers 502 with a plain page, on public and protected paths, and the session survives", async () => {
    const publicPath = await fetch(`${stack.workerUrl}/public/x`, { headers: { accept: "text/html" } });
    expect(publicPath.status).toBe(502);
    const page = await publicPath.text();
    expect(page).toMatch(/<h1>/);
    expect(page).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Error:/);

    const browser = new Browser();
    const { hops } = await browser.signIn(`${stack.workerUrl}/app`, "down@example.com");
    expect(hops.at(-1)!.status).toBe(502);
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).toBeTruthy();
    const me = await browser.request(`${stack.workerUrl}/auth/me`);
    expect(me.status).toBe(200);
  });

  it("a 502 that follows a rotation carries the successor's cookies: the next request is still signed in", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/app`, "rotated@example.com");
    const before = browser.jar.get(stack.workerUrl, "__Host-refresh");
    browser.jar.delete(stack.workerUrl, "__Host-access");
    const down = await browser.request(`${stack.workerUrl}/app`);
    expect(down.status).toBe(502);
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).not.toBe(before);
    expect(browser.jar.get(stack.workerUrl, "__Host-access")).toBeTruthy();
    browser.jar.delete(stack.workerUrl, "__Host-access");
    expect((await browser.request(`${stack.workerUrl}/auth/me`)).status).toBe(200);
  });
});

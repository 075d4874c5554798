import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * A person's session end to end over HTTP, through wrangler, on each store: sign in, refresh
 * when the access token is gone, sign in again (which ends the session it replaces), sign out.
 * With REVOCATION_CHECK, the Durable Object makes sign-out take effect at once, everywhere.
 */
describe.each(["kv", "durable-object"])("sessions on the %s store", (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vars: { SESSION_STORE: store, REVOCATION_CHECK: "true" } });
  });
  afterAll(() => stack?.close());

  it("refreshes in place, and signing in again ends the session it replaces", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/a`, `${store}@example.com`);
    const first = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    expect(first).toBeTruthy();
    browser.jar.delete(stack.workerUrl, "__Host-access");
    expect((await browser.request(`${stack.workerUrl}/a`)).status).toBe(200);
    const rotated = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    expect(rotated).not.toBe(first);

    // A new sign-in in the same browser (the provider remembers it, so no questions asked):
    // the old session's refresh token stops working.
    const again = await browser.navigate(`${stack.workerUrl}/auth/login?return_to=/b`);
    expect(again.url).toBe(`${stack.workerUrl}/b`);
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).not.toBe(rotated);
    const replaced = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${rotated}` },
    });
    expect(replaced.status).toBe(401);
  });

  it("signs out: the refresh token is refused, and the access token too (REVOCATION_CHECK)", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/c`, `out-${store}@example.com`);
    const access = browser.jar.get(stack.workerUrl, "__Host-access")!;
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const logout = await browser.request(`${stack.workerUrl}/auth/logout`, {
      method: "POST",
      headers: { origin: stack.workerUrl },
    });
    expect(logout.status).toBe(303);
    expect((await fetch(`${stack.workerUrl}/c`, { headers: { cookie: `__Host-access=${access}` } })).status).toBe(401);
    expect(
      (
        await fetch(`${stack.workerUrl}/auth/refresh`, {
          method: "POST",
          headers: { cookie: `__Host-refresh=${refresh}` },
        })
      ).status,
    ).toBe(401);
  });
});

import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * One worker, two host names, as `npm start` runs it: PUBLIC_URL is http://localhost:PORT (the
 * redirect URI the local provider knows) and wrangler prints http://127.0.0.1:PORT, which is
 * neither PUBLIC_URL's host nor a preview's. The same holds for a workers.dev name next to a
 * custom domain (docs/host-names.md).
 */
let stack: Stack;
let publicUrl: string;
beforeAll(async () => {
  stack = await startStack({ publicOnLocalhost: true });
  publicUrl = stack.publicUrl!;
});
afterAll(() => stack?.close());

describe("a sign-in that starts on another host name of the worker", () => {
  it("ends signed in on PUBLIC_URL's host, on the page first asked for", async () => {
    const browser = new Browser();
    const { response, hops, url } = await browser.signIn(`${stack.workerUrl}/reports/q3?view=full`, "ada@example.com");
    expect(hops.filter((hop) => hop.status >= 400).map((hop) => `${hop.status} ${new URL(hop.url).pathname}`)).toEqual(
      [],
    );
    expect(response.status).toBe(200);
    expect(url).toBe(`${publicUrl}/reports/q3?view=full`);
    // The first answer moves the navigation, path and query intact, to the registered host.
    expect(hops[0]).toMatchObject({ status: 302, location: `${publicUrl}/reports/q3?view=full` });
    const toProvider = hops.find((hop) => hop.location?.startsWith(stack.providerUrl))!;
    expect(new URL(toProvider.location!).searchParams.get("redirect_uri")).toBe(`${publicUrl}/auth/callback`);
    // The session lives on the registered host; the other name holds nothing.
    expect(browser.jar.get(publicUrl, "__Host-refresh")).toBeTruthy();
    expect(browser.jar.get(stack.workerUrl, "__Host-refresh")).toBeUndefined();
    expect(browser.jar.header(stack.workerUrl)).toBe("");
    const received = stack.originRequests.at(-1)!;
    expect(received.url).toBe("/reports/q3?view=full");
    expect(received.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(decodeJwt(received.headers["x-auth-assertion"]!).iss).toBe(publicUrl);
  });

  it("moves a login started there to the registered host's login, return_to kept as a path", async () => {
    const browser = new Browser();
    const { response, hops, url } = await browser.signIn(
      `${stack.workerUrl}/auth/login?return_to=%2Fdocs%3Fa%3D1`,
      "grace@example.org",
    );
    expect(response.status).toBe(200);
    expect(url).toBe(`${publicUrl}/docs?a=1`);
    // No login cookie on the host the provider never returns to.
    expect(hops[0]).toMatchObject({ status: 302, location: `${publicUrl}/auth/login?return_to=%2Fdocs%3Fa%3D1` });
    expect(hops[0]!.setCookies).toEqual([]);
    expect(stack.originRequests.at(-1)!.headers["x-auth-user-email"]).toBe("grace@example.org");
  });

  it("sends a person already signed in on the registered host straight to the page", async () => {
    const browser = new Browser();
    await browser.signIn(`${publicUrl}/`, "ada@example.com");
    const before = stack.originRequests.length;
    const { response, hops } = await browser.navigate(`${stack.workerUrl}/later?x=2`);
    expect(hops.map((hop) => hop.url)).toEqual([`${stack.workerUrl}/later?x=2`, `${publicUrl}/later?x=2`]);
    expect(response.status).toBe(200);
    expect(stack.originRequests.length).toBe(before + 1);
    expect(stack.originRequests.at(-1)!.headers["x-auth-user-email"]).toBe("ada@example.com");
  });

  it("answers a call that is not a navigation with 401, as on the registered host", async () => {
    const before = stack.originRequests.length;
    for (const init of [
      { headers: { accept: "application/json" } },
      { method: "POST", headers: { accept: "text/html" } },
    ]) {
      const response = await fetch(`${stack.workerUrl}/api/thing`, { ...init, redirect: "manual" });
      expect(response.status).toBe(401);
      expect(response.headers.get("location")).toBeNull();
    }
    expect(stack.originRequests.length).toBe(before);
  });
});

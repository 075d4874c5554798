import { describe, expect, it } from "vitest";
import { callWith, ISSUER, signedIn } from "../../support/workerd/helpers";

/**
 * Another host name of the worker, neither PUBLIC_URL's (https://app.test) nor a preview's: a
 * workers.dev name next to the custom domain. A sign-in can only finish on PUBLIC_URL's host (the
 * provider returns there, and the login cookie is host-only), so it is started there.
 */
const WORKERS_DEV = "https://edge-auth-worker.example.workers.dev";
const page = { accept: "text/html", "sec-fetch-mode": "navigate" };

describe("a request on another host name of the worker", () => {
  it("moves a navigation that needs a sign-in to the same path and query on PUBLIC_URL's host", async () => {
    for (const method of ["GET", "HEAD"]) {
      const response = await callWith({}, "/reports/q3?view=full&x=%2F", { method, headers: page }, WORKERS_DEV);
      expect(response.status, method).toBe(302);
      expect(response.headers.get("location")).toBe(`${ISSUER}/reports/q3?view=full&x=%2F`);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("never moves a navigation off PUBLIC_URL's host, whatever its path looks like", async () => {
    for (const path of ["//evil.test/x", "/\\evil.test/x", "/%2F%2Fevil.test", "/@evil.test"]) {
      const response = await callWith({}, path, { headers: page }, WORKERS_DEV);
      expect(response.status, path).toBe(302);
      expect(new URL(response.headers.get("location")!).host, path).toBe(new URL(ISSUER).host);
    }
  });

  it("moves a login to PUBLIC_URL's login, query kept, before any login cookie is set", async () => {
    const response = await callWith(
      {},
      "/auth/login?return_to=%2Fdocs%3Fa%3D1&prompt=select_account",
      { headers: page },
      WORKERS_DEV,
    );
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(
      `${ISSUER}/auth/login?return_to=%2Fdocs%3Fa%3D1&prompt=select_account`,
    );
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("moves nothing that is not a GET or HEAD navigation, and never a callback's code", async () => {
    const api = await callWith({}, "/api/x", { headers: { accept: "application/json" } }, WORKERS_DEV);
    expect(api.status).toBe(401);
    const form = await callWith({}, "/comments", { method: "POST", headers: page, body: "a=1" }, WORKERS_DEV);
    expect(form.status).toBe(401);
    expect(form.headers.get("location")).toBeNull();
    const login = await callWith({}, "/auth/login", { method: "POST", headers: page }, WORKERS_DEV);
    expect(login.status).toBe(405);
    const callback = await callWith({}, "/auth/callback?code=abc&state=def", { headers: page }, WORKERS_DEV);
    expect(callback.status).toBe(400);
    expect(callback.headers.get("location")).toBeNull();
  });

  it("serves a session it already holds there, without moving it", async () => {
    const { cookie } = await signedIn();
    const response = await callWith({}, "/docs", { headers: { ...page, cookie } }, WORKERS_DEV);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { headers: Record<string, string> }).headers["x-auth-user-email"]).toBe(
      "ada@example.com",
    );
  });

  it("treats PUBLIC_URL's host over plain http as PUBLIC_URL's (TLS may end in front): no redirect loop", async () => {
    const response = await callWith({}, "/docs?y=1", { headers: page }, "http://app.test");
    expect(response.headers.get("location")).toBe("/auth/login?return_to=%2Fdocs%3Fy%3D1");
  });

  it("moves nothing without PUBLIC_URL: every host is then its own", async () => {
    const response = await callWith({ PUBLIC_URL: "" }, "/docs", { headers: page }, WORKERS_DEV);
    expect(response.headers.get("location")).toBe("/auth/login?return_to=%2Fdocs");
  });
});

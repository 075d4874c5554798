import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { safeReturnTo } from "../../../src/http/return-to";
import { call, callWith } from "../../support/workerd/helpers";

/**
 * `return_to` never leads back into the worker's own routes (a sign-in loop, a replayed
 * callback, a logout link that signs people out after signing in). Any path under AUTH_PREFIX,
 * in any case, becomes `/`; the site's own paths are kept.
 */
const OWN_ROUTES = [
  "/auth",
  "/auth/",
  "/auth/login",
  "/auth/login?return_to=/auth/login",
  "/auth/callback?code=abc&state=xyz",
  "/auth/logout",
  "/auth/refresh",
  "/auth/me",
  "/auth/anything/else",
  "/AUTH/LOGIN",
  "/Auth/Callback?code=abc",
  "/auth/./login",
  "/x/../auth/login",
  "/auth%2flogin",
  "/%61uth/login",
  "/auth/%6cogin",
  "/auth%5clogin",
  "/x%2f..%2fauth/login",
];
const SITE_PATHS = [
  "/",
  "/authors",
  "/authentic/page",
  "/docs/auth/login",
  "/a?return_to=/auth/login",
  "/%61uthors",
  "/a%2fb",
];

/** The `rt` claim of the login cookie GET /auth/login sets: the return_to the callback will use. */
async function savedReturnTo(response: Response): Promise<string> {
  expect(response.status).toBe(302);
  const login = response.headers.getSetCookie().find((cookie) => cookie.startsWith("__Host-login-"));
  expect(login).toBeDefined();
  return decodeJwt(login!.slice(login!.indexOf("=") + 1).split(";")[0]!).rt as string;
}

describe("return_to into the worker's own routes", () => {
  it.each(OWN_ROUTES)("safeReturnTo(%j) is /", (path) => {
    expect(safeReturnTo(path, "/auth")).toBe("/");
  });

  it.each(SITE_PATHS)("safeReturnTo(%j) keeps the site's own path", (path) => {
    expect(safeReturnTo(path, "/auth")).toBe(path);
  });

  it("follows a custom AUTH_PREFIX and leaves /auth alone then", () => {
    expect(safeReturnTo("/_sso/login", "/_sso")).toBe("/");
    expect(safeReturnTo("/_SSO/callback?code=1", "/_sso")).toBe("/");
    expect(safeReturnTo("/auth/login", "/_sso")).toBe("/auth/login");
  });

  it.each(OWN_ROUTES)("GET /auth/login?return_to=%j saves / in the login transaction", async (path) => {
    expect(await savedReturnTo(await call(`/auth/login?return_to=${encodeURIComponent(path)}`))).toBe("/");
  });

  it("saves a site path unchanged (the control case)", async () => {
    expect(await savedReturnTo(await call(`/auth/login?return_to=${encodeURIComponent("/docs/x?y=1")}`))).toBe(
      "/docs/x?y=1",
    );
  });

  it("applies the configured AUTH_PREFIX at the login route", async () => {
    const response = await callWith(
      { AUTH_PREFIX: "/_sso" },
      `/_sso/login?return_to=${encodeURIComponent("/_SSO/logout")}`,
    );
    expect(await savedReturnTo(response)).toBe("/");
  });
});

import { decodeJwt } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, callWith, cookieValue, setCookies, signedIn, testEnv } from "../../support/workerd/helpers";

// The worker's clock is Date.now, read once per request: tests move it instead of sleeping.
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());

describe("session routes", () => {
  it("publishes only public keys at /.well-known/jwks.json", async () => {
    const response = await call("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toMatch(/public, max-age=\d+/);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBe(1);
    expect(keys[0]).toMatchObject({ use: "sig", alg: "ES256" });
    expect(keys[0]!.kid).toBeTypeOf("string");
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("GET /auth/me returns the identity and expiry, or 401", async () => {
    const { cookie, access } = await signedIn();
    const response = await call("/auth/me", { headers: { cookie } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ sub: "1001", email: "ada@example.com", exp: decodeJwt(access).exp });
    expect((await call("/auth/me")).status).toBe(401);
  });

  it("POST /auth/refresh rotates the refresh token (204) and refuses without one (401)", async () => {
    const { refresh } = await signedIn();
    const response = await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } });
    expect(response.status).toBe(204);
    const cookies = setCookies(response);
    expect(cookieValue(cookies.get("__Host-refresh"))).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(cookieValue(cookies.get("__Host-refresh"))).not.toBe(refresh);
    expect(decodeJwt(cookieValue(cookies.get("__Host-access"))!).email).toBe("ada@example.com");
    expect((await call("/auth/refresh", { method: "POST" })).status).toBe(401);
  });

  it("refuses cross-site refresh and logout with 403 and changes nothing", async () => {
    const { cookie } = await signedIn();
    for (const path of ["/auth/refresh", "/auth/logout"]) {
      const byOrigin = await call(path, { method: "POST", headers: { cookie, origin: "https://evil.example" } });
      expect(byOrigin.status).toBe(403);
      expect(byOrigin.headers.getSetCookie()).toEqual([]);
      const bySite = await call(path, { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site" } });
      expect(bySite.status).toBe(403);
    }
    expect((await call("/auth/me", { headers: { cookie } })).status).toBe(200);
  });

  it("POST /auth/logout revokes the family, clears cookies and redirects to the signed-out page", async () => {
    const { cookie, refresh } = await signedIn();
    const response = await call("/auth/logout", {
      method: "POST",
      headers: { cookie, origin: "https://app.test", "sec-fetch-site": "same-origin" },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/auth/logout");
    const cleared = setCookies(response);
    expect(cleared.get("__Host-access")).toBe("__Host-access=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    expect(cleared.get("__Host-refresh")).toBe("__Host-refresh=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax");
    expect(
      (await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } })).status,
    ).toBe(401);
  });

  it("GET /auth/logout changes nothing", async () => {
    const { refresh } = await signedIn();
    expect((await call("/auth/logout", { headers: { cookie: `__Host-refresh=${refresh}` } })).status).toBe(200);
    expect(
      (await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } })).status,
    ).toBe(204);
  });

  it("accepts a rotated token within the grace period", async () => {
    const { refresh } = await signedIn();
    const first = await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } });
    const again = await call("/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } });
    expect([first.status, again.status]).toEqual([204, 204]);
  });

  it("treats a rotated token presented after the grace period as theft and revokes the family", async () => {
    const { refresh } = await signedIn();
    const first = await callWith({ REFRESH_REUSE_GRACE: "0" }, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${refresh}` },
    });
    const newest = cookieValue(setCookies(first).get("__Host-refresh"))!;
    vi.setSystemTime(Date.now() + 1000);
    const reuse = await callWith({ REFRESH_REUSE_GRACE: "0" }, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${refresh}` },
    });
    expect(reuse.status).toBe(401);
    const afterTheft = await callWith({ REFRESH_REUSE_GRACE: "0" }, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${newest}` },
    });
    expect(afterTheft.status).toBe(401);
  });

  it("refuses a refresh once the account is no longer allowed", async () => {
    const { refresh } = await signedIn();
    const response = await callWith({ ALLOWED_EMAILS: "someone-else@example.com" }, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${refresh}` },
    });
    expect(response.status).toBe(401);
  });

  it("stores refresh tokens only as hashes", async () => {
    const { refresh, issued } = await signedIn();
    // Every key in the store, page by page: other test files' sessions share it.
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await testEnv.SESSIONS.list({ cursor });
      keys.push(...page.keys.map((key) => key.name));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    expect(keys.some((name) => name.includes(refresh))).toBe(false);
    expect(keys.some((name) => name.startsWith(`token:${issued.familyId}:`))).toBe(true);
  });
});

describe("login", () => {
  it("redirects to the provider with state, nonce and PKCE S256, and binds the login to this browser", async () => {
    const response = await call("/auth/login?return_to=/docs?x=1");
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!);
    expect(location.origin + location.pathname).toBe("https://issuer.test/authorize");
    const params = location.searchParams;
    expect(params.get("response_type")).toBe("code");
    expect(params.get("client_id")).toBe("unit-client");
    expect(params.get("redirect_uri")).toBe("https://app.test/auth/callback");
    expect(params.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["openid", "email"]));
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")!.length).toBeGreaterThanOrEqual(32);
    expect(params.get("nonce")!.length).toBeGreaterThanOrEqual(32);
    const [name, value] = [...setCookies(response)][0]!;
    expect(name).toBe(`__Host-login-${params.get("state")!.slice(0, 16)}`);
    expect(value).toMatch(/; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  });

  it("gives every login a fresh state and keeps at most five pending", async () => {
    let cookieHeader = "";
    const states = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const response = await call("/auth/login", { headers: { cookie: cookieHeader } });
      states.add(new URL(response.headers.get("location")!).searchParams.get("state")!);
      const jar = new Map(
        cookieHeader
          .split("; ")
          .filter(Boolean)
          .map((pair) => pair.split("=") as [string, string]),
      );
      for (const [name, setCookie] of setCookies(response)) {
        if (setCookie.includes("Max-Age=0")) jar.delete(name);
        else jar.set(name, cookieValue(setCookie)!);
      }
      cookieHeader = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      // Later logins are newer (`iat` in whole seconds): the oldest are the ones dropped.
      vi.setSystemTime(Date.now() + 1000);
    }
    expect(states.size).toBe(7);
    expect(cookieHeader.split("; ").length).toBe(5);
  });

  it("refuses a callback without this browser's login transaction", async () => {
    const response = await call("/auth/callback?code=x&state=abcdefghijklmnopqrstuvwxyz");
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie().some((cookie) => /__Host-(access|refresh)=[^;]/.test(cookie))).toBe(false);
    const body = await response.text();
    expect(body).not.toContain("abcdefghijklmnop");
  });
});

describe("login prompt", () => {
  it("passes prompt=select_account or login to the provider, and nothing else", async () => {
    const location = async (query: string) =>
      new URL((await call(`/auth/login${query}`)).headers.get("location")!).searchParams.get("prompt");
    expect(await location("?prompt=select_account")).toBe("select_account");
    expect(await location("?prompt=login")).toBe("login");
    expect(await location("?prompt=none")).toBeNull();
    expect(await location("")).toBeNull();
  });
});

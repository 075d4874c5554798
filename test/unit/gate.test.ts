import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { call, cookieValue, ISSUER, setCookies, signedIn, testConfig } from "./helpers";

type Echo = { method: string; path: string; headers: Record<string, string> };

describe("the gate", () => {
  it("answers a form post without a session with the 401 page, not a redirect that would drop its body", async () => {
    const response = await call("/comments", {
      method: "POST",
      headers: { "sec-fetch-mode": "navigate", accept: "text/html", "content-type": "application/x-www-form-urlencoded" },
      body: "text=hello",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("location")).toBeNull();
    // The worker's own page (the echo origin would have answered JSON), with a way to sign in.
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain('href="/auth/login"');
  });

  it("proxies an authenticated request with identity headers and a verifiable assertion", async () => {
    const { cookie, config } = await signedIn();
    const response = await call("/a/b?c=1", { headers: { cookie: `${cookie}; theme=dark` } });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.path).toBe("/a/b?c=1");
    expect(echo.headers["x-auth-user-sub"]).toBe("1001");
    expect(echo.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(echo.headers.cookie).toBe("theme=dark");
    const assertion = echo.headers["x-auth-assertion"]!;
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: ISSUER, aud: "http://origin.test", sub: "1001", email: "ada@example.com" });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
    expect(decodeProtectedHeader(assertion).kid).toBe(config.sessionKeys.signing.kid);
  });

  it("strips spoofed identity and hop-by-hop headers on public paths too", async () => {
    const response = await call("/public/x", {
      headers: { "X-Auth-User-Email": "evil@x", "x_auth_user_sub": "0", "X-AUTH-ASSERTION": "x", connection: "x-secret", "x-secret": "1", expect: "100-continue" },
    });
    const echo = (await response.json()) as Echo;
    expect(Object.keys(echo.headers).filter((name) => /^x.auth/i.test(name))).toEqual([]);
    expect(echo.headers["x-secret"]).toBeUndefined();
    expect(echo.headers.expect).toBeUndefined();
  });

  it("keeps the origin's cookies but never lets it set ours", async () => {
    const response = await call("/public/x");
    const cookies = [...setCookies(response).keys()];
    expect(cookies).toEqual(["origin_a", "origin_b"]);
  });

  it("marks authenticated responses private, replacing public", async () => {
    const { cookie } = await signedIn();
    const response = await call("/cached/page", { headers: { cookie } });
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
    expect((await call("/public/cached")).headers.get("cache-control")).toBe("no-cache");
  });

  it("redirects a navigation without a session to login with the path and query", async () => {
    const response = await call("/docs/x?y=1", { headers: { accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/auth/login?return_to=%2Fdocs%2Fx%3Fy%3D1");
  });

  it("answers 401 JSON with WWW-Authenticate to a non-navigation", async () => {
    const response = await call("/api/x", { method: "POST", headers: { accept: "text/html" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });

  it("accepts the access token as a Bearer token and does not forward it", async () => {
    const { access } = await signedIn();
    const response = await call("/api/x", { headers: { authorization: `Bearer ${access}` } });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers["x-auth-user-sub"]).toBe("1001");
  });

  it("refuses the origin assertion, a wrong-audience token and an unsigned token as sessions", async () => {
    const { cookie, config } = await signedIn();
    const echo = (await (await call("/a", { headers: { cookie } })).json()) as Echo;
    const assertion = echo.headers["x-auth-assertion"]!;
    expect((await call("/a", { headers: { authorization: `Bearer ${assertion}` } })).status).toBe(401);
    expect((await call("/a", { headers: { cookie: `__Host-access=${assertion}` } })).status).toBe(401);

    const { kid, alg, key } = config.sessionKeys.signing;
    const wrongAudience = await new SignJWT({ email: "ada@example.com", sid: "x" })
      .setProtectedHeader({ alg, kid, typ: "session+jwt" }).setIssuer(ISSUER).setAudience("https://elsewhere")
      .setSubject("1001").setIssuedAt().setExpirationTime("5m").sign(key);
    expect((await call("/a", { headers: { authorization: `Bearer ${wrongAudience}` } })).status).toBe(401);
    const unsigned = `${btoa(JSON.stringify({ alg: "none", typ: "session+jwt" }))}.${btoa(JSON.stringify(decodeJwt(wrongAudience)))}.`;
    expect((await call("/a", { headers: { authorization: `Bearer ${unsigned}` } })).status).toBe(401);
  });

  it("refuses an access token issued in the future or living longer than we issue", async () => {
    const config = await testConfig();
    const { kid, alg, key } = config.sessionKeys.signing;
    const sign = (iat: number, exp: number) =>
      new SignJWT({ email: "ada@example.com", sid: "x" }).setProtectedHeader({ alg, kid, typ: "session+jwt" }).setIssuer(ISSUER)
        .setAudience(`${ISSUER}/auth`).setSubject("1001").setIssuedAt(iat).setExpirationTime(exp).sign(key);
    const now = Math.floor(Date.now() / 1000);
    expect((await call("/a", { headers: { authorization: `Bearer ${await sign(now, now + 60)}` } })).status).toBe(200);
    expect((await call("/a", { headers: { authorization: `Bearer ${await sign(now + 600, now + 660)}` } })).status).toBe(401);
    expect((await call("/a", { headers: { authorization: `Bearer ${await sign(now, now + 86_400 * 365)}` } })).status).toBe(401);
  });

  it("refreshes transparently from the refresh cookie alone and sets new cookies", async () => {
    const { refresh } = await signedIn();
    const response = await call("/a", { headers: { cookie: `__Host-refresh=${refresh}` } });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.headers["x-auth-user-email"]).toBe("ada@example.com");
    const cookies = setCookies(response);
    expect(cookies.get("__Host-access")).toMatch(/; Max-Age=900; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(cookieValue(cookies.get("__Host-refresh"))).not.toBe(refresh);
  });
});

describe("proxy hygiene", () => {
  it("strips routing headers a client could use to reach another path at the origin", async () => {
    const echo = (await (
      await call("/public/x", { headers: { "X-Original-URL": "/admin", "X-Rewrite-URL": "/admin", Forwarded: "host=evil", "X-Forwarded-Host": "evil.example", Host: "evil.example" } })
    ).json()) as Echo;
    expect(echo.path).toBe("/public/x");
    expect(echo.headers["x-original-url"]).toBeUndefined();
    expect(echo.headers["x-rewrite-url"]).toBeUndefined();
    expect(echo.headers.forwarded).toBeUndefined();
    expect(echo.headers["x-forwarded-host"]).toBe("app.test");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
  });

  it("refuses a cross-site WebSocket upgrade with 403 and one without a session with 401", async () => {
    const { cookie } = await signedIn();
    const crossSite = await call("/ws", { headers: { cookie, upgrade: "websocket", connection: "Upgrade", origin: "https://evil.example" } });
    expect(crossSite.status).toBe(403);
    const anonymous = await call("/ws", { headers: { upgrade: "websocket", connection: "Upgrade", origin: "https://app.test" } });
    expect(anonymous.status).toBe(401);
  });
});

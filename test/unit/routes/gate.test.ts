import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  accessTokenFor,
  ada,
  call,
  callWith,
  cookieValue,
  ISSUER,
  ORIGIN_PATHS,
  setCookies,
  signedIn,
  testConfig,
} from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

afterEach(() => vi.restoreAllMocks());

describe("the gate", () => {
  it("answers a form post without a session with the 401 page, not a redirect that would drop its body", async () => {
    const response = await call("/comments", {
      method: "POST",
      headers: {
        "sec-fetch-mode": "navigate",
        accept: "text/html",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "text=hello",
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("location")).toBeNull();
    // The worker's own page (the echo origin would have answered JSON), with a way to sign in.
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain('href="/auth/login"');
  });

  it("redirects a navigation without a session to login with the path and query", async () => {
    const response = await call("/docs/x?y=1", { headers: { accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/auth/login?return_to=%2Fdocs%2Fx%3Fy%3D1");
    // Like every other redirect of the sign-in flow: never cached, and no Referer sent on with it.
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("answers 401 JSON with WWW-Authenticate to a non-navigation", async () => {
    const response = await call("/api/x", { method: "POST", headers: { accept: "text/html" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: "unauthorized" });
  });

  it("refuses an access token issued in the future or living longer than we issue", async () => {
    const config = await testConfig();
    const { kid, alg, key } = config.sessionKeys!.signing;
    const sign = (iat: number, exp: number) =>
      new SignJWT({ email: "ada@example.com", sid: "x" })
        .setProtectedHeader({ alg, kid, typ: "session+jwt" })
        .setIssuer(ISSUER)
        .setAudience(`${ISSUER}/auth`)
        .setSubject("1001")
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
    const now = Math.floor(Date.now() / 1000);
    expect((await call("/a", { headers: { authorization: `Bearer ${await sign(now, now + 60)}` } })).status).toBe(200);
    expect(
      (await call("/a", { headers: { authorization: `Bearer ${await sign(now + 600, now + 660)}` } })).status,
    ).toBe(401);
    expect(
      (await call("/a", { headers: { authorization: `Bearer ${await sign(now, now + 86_400 * 365)}` } })).status,
    ).toBe(401);
  });
});

describe("proxy hygiene", () => {
  it("refuses a cross-site WebSocket upgrade with 403 and one without a session with 401", async () => {
    const { cookie } = await signedIn();
    const crossSite = await call("/ws", {
      headers: { cookie, upgrade: "websocket", connection: "Upgrade", origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const anonymous = await call("/ws", {
      headers: { upgrade: "websocket", connection: "Upgrade", origin: "https://app.test" },
    });
    expect(anonymous.status).toBe(401);
  });
});

/**
 * What the gate promises about the origin (docs/reference.md, "Headers the origin receives"), held on both ways of reaching it:
 * the network to ORIGIN_URL, and the ORIGIN service binding to a second worker in workerd.
 */
describe.each(ORIGIN_PATHS)("the gate, to an origin behind $name", ({ name, bindings, audience }) => {
  const call = (path: string, init: RequestInit = {}) => callWith(bindings, path, init);

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
    expect(claims).toMatchObject({ iss: ISSUER, aud: audience, sub: "1001", email: "ada@example.com" });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
    expect(decodeProtectedHeader(assertion).kid).toBe(config.sessionKeys!.signing.kid);
  });

  it("passes the method and body, and the URL is ORIGIN_URL's, or our public origin's behind a binding", async () => {
    const { cookie } = await signedIn();
    const echo = (await (
      await call("/api/items?x=1", {
        method: "PUT",
        headers: { cookie, "content-type": "text/plain" },
        body: "hello origin",
      })
    ).json()) as Echo;
    expect(echo).toMatchObject({ method: "PUT", body: "hello origin" });
    expect(echo.url).toBe(
      name === "ORIGIN_URL" ? "http://origin.test/api/items?x=1" : "https://app.test/api/items?x=1",
    );
  });

  it("strips spoofed identity and hop-by-hop headers, on public paths and signed in", async () => {
    const { cookie } = await signedIn();
    const spoofed = {
      "X-Auth-User-Email": "evil@x",
      x_auth_user_sub: "0",
      "X-AUTH-ASSERTION": "x",
      "X-Forwarded-User": "evil",
      connection: "x-secret",
      "x-secret": "1",
      expect: "100-continue",
    };
    const anonymous = (await (await call("/public/x", { headers: spoofed })).json()) as Echo;
    expect(Object.keys(anonymous.headers).filter((header) => /^x.auth|^x-forwarded-user/i.test(header))).toEqual([]);
    expect(anonymous.headers["x-secret"]).toBeUndefined();
    expect(anonymous.headers.expect).toBeUndefined();
    const signed = (await (await call("/private", { headers: { ...spoofed, cookie } })).json()) as Echo;
    expect(signed.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(signed.headers["x-auth-user-sub"]).toBe("1001");
    expect(signed.headers["x-forwarded-user"]).toBeUndefined();
    expect(signed.headers["x-secret"]).toBeUndefined();
  });

  it("strips routing headers a client could use to reach another path at the origin", async () => {
    const echo = (await (
      await call("/public/x", {
        headers: {
          "X-Original-URL": "/admin",
          "X-Rewrite-URL": "/admin",
          Forwarded: "host=evil",
          "X-Forwarded-Host": "evil.example",
          Host: "evil.example",
        },
      })
    ).json()) as Echo;
    expect(echo.path).toBe("/public/x");
    expect(echo.headers["x-original-url"]).toBeUndefined();
    expect(echo.headers["x-rewrite-url"]).toBeUndefined();
    expect(echo.headers.forwarded).toBeUndefined();
    expect(echo.headers["x-forwarded-host"]).toBe("app.test");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
  });

  it("strips method-override headers, in every spelling, on public and signed-in requests alike", async () => {
    const { cookie } = await signedIn();
    const overrides = {
      "X-HTTP-Method-Override": "DELETE",
      "X-HTTP-Method": "PUT",
      "X-Method-Override": "PATCH",
      X_HTTP_Method_Override: "DELETE",
    };
    for (const [path, extra] of [
      ["/public/x", {}],
      ["/private", { cookie }],
    ] as const) {
      const response = await call(path, { headers: { ...overrides, ...extra } });
      expect(response.status).toBe(200);
      const echo = (await response.json()) as Echo;
      expect(Object.keys(echo.headers).filter((name) => /method/.test(name))).toEqual([]);
    }
  });

  it("keeps the origin's cookies but never lets it set ours", async () => {
    const { cookie } = await signedIn();
    expect([...setCookies(await call("/public/x")).keys()]).toEqual(["origin_a", "origin_b"]);
    expect([...setCookies(await call("/private", { headers: { cookie } })).keys()]).toEqual(["origin_a", "origin_b"]);
  });

  it("marks authenticated responses private, replacing public", async () => {
    const { cookie } = await signedIn();
    const response = await call("/cached/page", { headers: { cookie } });
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
    expect((await call("/public/cached")).headers.get("cache-control")).toBe("no-cache");
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

    const { kid, alg, key } = config.sessionKeys!.signing;
    const wrongAudience = await new SignJWT({ email: "ada@example.com", sid: "x" })
      .setProtectedHeader({ alg, kid, typ: "session+jwt" })
      .setIssuer(ISSUER)
      .setAudience("https://elsewhere")
      .setSubject("1001")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);
    expect((await call("/a", { headers: { authorization: `Bearer ${wrongAudience}` } })).status).toBe(401);
    const unsigned = `${btoa(JSON.stringify({ alg: "none", typ: "session+jwt" }))}.${btoa(JSON.stringify(decodeJwt(wrongAudience)))}.`;
    expect((await call("/a", { headers: { authorization: `Bearer ${unsigned}` } })).status).toBe(401);
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

  it("answers 502 with a plain page when the origin fails, and keeps the cookies a rotation earned", async () => {
    if (name === "ORIGIN_URL") {
      // The network to the origin fails (outside the machine): miniflare's outboundService would
      // turn a thrown error into a 500 response, so the failure is made at fetch() itself.
      const real = globalThis.fetch;
      vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
        if (new URL(new Request(input, init).url).hostname === "origin.test")
          throw new TypeError("Network connection lost.");
        return real(input, init);
      });
    }
    // Behind the binding, the origin worker's fetch handler throws on this path.
    const failing = "/public/origin-throws";
    const page = await call(failing, { headers: { accept: "text/html" } });
    expect(page.status).toBe(502);
    const text = await page.text();
    expect(text).toMatch(/<h1>/);
    expect(text).not.toMatch(/crashed|Network connection|Error:/);
    expect(page.headers.getSetCookie()).toEqual([]);

    const { issued, config } = await signedIn();
    const expired = await accessTokenFor(
      config,
      ada,
      issued.familyId,
      Math.floor(Date.now() / 1000) - config.accessTokenTtlSeconds - 1,
    );
    const rotated = await call("/x/origin-throws", {
      headers: { cookie: `__Host-access=${expired}; __Host-refresh=${issued.credential}` },
    });
    expect(rotated.status).toBe(502);
    expect(await rotated.json()).toMatchObject({ error: expect.any(String) });
    const earned = setCookies(rotated);
    expect(cookieValue(earned.get("__Host-access"))).toMatch(/^ey/);
    expect(cookieValue(earned.get("__Host-refresh"))).not.toBe(issued.credential);
  });
});

import { describe, expect, it } from "vitest";
import { callWith } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * CORS preflights: a browser sends them without cookies, so a cross-origin app calling a protected
 * API with credentials is stopped at the 401 unless the rule of the request a preflight announces
 * says `"preflight": true`. Then the preflight (and nothing else) reaches the origin, without identity.
 */
const POLICY = JSON.stringify([
  { path: "/api/*", allow: { emails: ["ada@example.com"] }, preflight: true },
  { path: "/api/admin/*", allow: { emails: ["ada@example.com"] } },
  { path: "/api/upload", methods: ["DELETE"], allow: { emails: ["ada@example.com"] } },
  { path: "/hooks/github", methods: ["POST"], public: true },
]);
const APP = "https://spa.example";

function preflight(path: string, method: string, headers: Record<string, string> = {}, init: RequestInit = {}) {
  return callWith({ ACCESS_POLICY: POLICY }, path, {
    ...init,
    method: "OPTIONS",
    headers: {
      origin: APP,
      "access-control-request-method": method,
      "access-control-request-headers": "content-type",
      ...headers,
    },
  });
}

describe("a CORS preflight", () => {
  it("reaches the origin without a session where the announced request's rule says preflight, with no identity", async () => {
    const response = await preflight("/api/items", "POST", { "x-auth-user-email": "ada@example.com" });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect([echo.method, echo.path]).toEqual(["OPTIONS", "/api/items"]);
    expect(echo.headers.origin).toBe(APP);
    expect(echo.headers["access-control-request-method"]).toBe("POST");
    expect(Object.keys(echo.headers).filter((name) => name.startsWith("x-auth-"))).toEqual([]);
  });

  it("is refused (401) where that rule does not say so, in any spelling of the path", async () => {
    for (const path of [
      "/api/admin/users",
      "/API/admin/users",
      "/api/%61dmin/users",
      "/api/%2fadmin/users",
      "/elsewhere",
    ]) {
      expect([path, (await preflight(path, "POST")).status]).toEqual([path, 401]);
    }
  });

  it("is decided by the rule of the method it announces, not by OPTIONS", async () => {
    expect((await preflight("/api/upload", "PUT")).status).toBe(200);
    expect((await preflight("/api/upload", "DELETE")).status).toBe(401);
    // A public request needs no session, and neither does its preflight.
    expect((await preflight("/hooks/github", "POST")).status).toBe(200);
    expect((await preflight("/hooks/github", "GET")).status).toBe(401);
  });

  it("reaches the origin as a bare OPTIONS: no body and no body headers, whatever came with it", async () => {
    const response = await preflight("/api/items?page=2", "POST", { "content-length": "0" });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect([echo.method, echo.path, echo.body]).toEqual(["OPTIONS", "/api/items?page=2", ""]);
    expect(Object.keys(echo.headers).filter((name) => name === "content-type" || name === "transfer-encoding")).toEqual(
      [],
    );
    // workerd announces a request without a body as `Content-Length: 0` on its own; nothing more may arrive.
    expect(echo.headers["content-length"] ?? "0").toBe("0");
  });

  it("reaches the origin without a body streamed with no length headers, which nothing else refuses", async () => {
    // A body as a stream announces itself by no header at all (no Content-Type, no Content-Length,
    // no Transfer-Encoding inside the runtime), so the request counts as a preflight: only the
    // proxy leaving out every preflight's body keeps this one from the origin.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"drop":"everything"}'));
        controller.close();
      },
    });
    const response = await preflight("/api/items", "POST", {}, { body });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect([echo.method, echo.path, echo.body]).toEqual(["OPTIONS", "/api/items", ""]);
    expect(echo.headers["transfer-encoding"]).toBeUndefined();
    expect(echo.headers["content-length"] ?? "0").toBe("0");
  });

  it("is never an OPTIONS that carries a body or a Content-Type: that needs a session, and the origin gets nothing", async () => {
    const withBody = {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "POST", "content-type": "application/json" },
    };
    expect(
      (
        await callWith({ ACCESS_POLICY: POLICY }, "/api/items?delete=all", {
          ...withBody,
          body: '{"drop":"everything"}',
        })
      ).status,
    ).toBe(401);
    expect((await callWith({ ACCESS_POLICY: POLICY }, "/api/items", withBody)).status).toBe(401);
    const bodyOnly = {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "POST" },
      body: "x=1",
    };
    expect((await callWith({ ACCESS_POLICY: POLICY }, "/api/items", bodyOnly)).status).toBe(401);
  });

  it("is only an OPTIONS with Origin, a method in Access-Control-Request-Method, and no credentials", async () => {
    const plain = (init: RequestInit) => callWith({ ACCESS_POLICY: POLICY }, "/api/items", init);
    expect((await plain({ method: "OPTIONS", headers: { origin: APP } })).status).toBe(401);
    expect((await plain({ method: "OPTIONS", headers: { "access-control-request-method": "POST" } })).status).toBe(401);
    expect(
      (await plain({ method: "OPTIONS", headers: { origin: APP, "access-control-request-method": "PO ST" } })).status,
    ).toBe(401);
    expect((await preflight("/api/items", "POST", { cookie: "__Host-access=x" })).status).toBe(401);
    expect((await preflight("/api/items", "POST", { authorization: "Bearer x.y.z" })).status).toBe(401);
    expect(
      (await plain({ method: "POST", headers: { origin: APP, "access-control-request-method": "POST" }, body: "{}" }))
        .status,
    ).toBe(401);
    expect((await plain({ method: "GET", headers: { origin: APP } })).status).toBe(401);
  });
});

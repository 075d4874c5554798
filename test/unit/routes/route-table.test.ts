import { describe, expect, it } from "vitest";
import { call, signedIn } from "../../support/workerd/helpers";

/**
 * Every request goes through one Hono app: our routes by their percent-decoded path, HEAD as GET
 * without a body, and the gate for the rest; one error handler answers every refusal.
 */
describe("the route table", () => {
  it("routes a %-escaped path to the route it decodes to, and keeps an escaped prefix from the origin", async () => {
    const plain = await call("/auth/login?return_to=/a");
    const escaped = await call("/auth/%6Cogin?return_to=/a");
    expect(plain.status).toBe(302);
    expect(escaped.status).toBe(302);
    expect(new URL(escaped.headers.get("location")!).origin).toBe(new URL(plain.headers.get("location")!).origin);
    // Under the prefix, spelled with an escape: still ours (404), never the origin's.
    expect((await call("/%61uth/nope", { headers: { accept: "application/json" } })).status).toBe(404);
  });

  it("answers HEAD with GET's status and headers and no body, refusals included", async () => {
    const refused = await call("/api/data", { method: "HEAD", headers: { accept: "application/json" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(await refused.text()).toBe("");
    // A navigation without a session is sent to sign-in, as its GET would be.
    const navigation = await call("/page", { method: "HEAD", headers: { "sec-fetch-mode": "navigate" } });
    expect(navigation.status).toBe(302);
    expect(navigation.headers.get("location")).toMatch(/^\/auth\/login\?return_to=/);
    expect(await navigation.text()).toBe("");
    const keys = await call("/.well-known/jwks.json", { method: "HEAD" });
    expect(keys.status).toBe(200);
    expect(keys.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await keys.text()).toBe("");
  });

  it("sends a navigation to an escaped slash to sign-in with that path to return to, and the login route takes it", async () => {
    const navigate = { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } };
    const gate = await call("/%2f", navigate);
    expect(gate.status).toBe(302);
    const location = gate.headers.get("location")!;
    expect(location).toBe("/auth/login?return_to=%2F%252f");
    const login = await call(location, navigate);
    expect(login.status).toBe(302);
    expect(new URL(login.headers.get("location")!).origin).toBe("https://issuer.test");
  });

  it("answers a method a route does not take with 405 and Allow, from the one error handler", async () => {
    const response = await call("/auth/refresh", { headers: { accept: "application/json" } });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(await response.json()).toMatchObject({ error: "method_not_allowed" });
  });

  it("sends every other path to the gate, with the signed-in person's identity", async () => {
    const { cookie } = await signedIn();
    const response = await call("/anything/else", { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/x-auth-user-sub/i);
  });
});

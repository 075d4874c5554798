import { afterEach, describe, expect, it, vi } from "vitest";
import { call, callWith, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

afterEach(() => vi.restoreAllMocks());

describe("operations", () => {
  it("sends X-Request-Id to the origin: cf-ray when present, never the client's own", async () => {
    const { cookie } = await signedIn();
    const fromRay = (await (
      await call("/a", { headers: { cookie, "cf-ray": "8f1e2d3c4b5a6978-AMS" } })
    ).json()) as Echo;
    expect(fromRay.headers["x-request-id"]).toBe("8f1e2d3c4b5a6978-AMS");
    const spoofed = (await (await call("/public/x", { headers: { "x-request-id": "attacker" } })).json()) as Echo;
    expect(spoofed.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("puts the request id in every log line", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const { refresh } = await signedIn();
    await call("/a", { headers: { cookie: `__Host-refresh=${refresh}`, "cf-ray": "abc123-LHR" } });
    const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
    expect(lines.find((line) => line.event === "session_refreshed")).toMatchObject({
      requestId: "abc123-LHR",
      sub: "1001",
    });
  });

  it("logs a request without a session as info, not as a warning: it is how every sign-in starts", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect((await call("/api/x", { headers: { accept: "application/json" } })).status).toBe(401);
      expect((await call("/auth/refresh", { method: "POST" })).status).toBe(401);
      const lines = (spy: typeof log) =>
        spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
      expect(lines(warn)).toEqual([]);
      const refused = lines(log).filter((line) => line.event === "request_refused");
      expect(refused).toEqual([
        expect.objectContaining({ level: "info", code: "ERR_NO_SESSION" }),
        expect.objectContaining({ level: "info", code: "ERR_NO_SESSION" }),
      ]);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });

  it("GET /auth/health reports a valid configuration and a reachable provider, without a session", async () => {
    const response = await call("/auth/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", config: "valid", provider: "reachable" });
  });

  it("GET /auth/health reports an unreachable provider (503) and an invalid configuration (500)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const degraded = await callWith({ OIDC_ISSUER: "https://no-discovery.test" }, "/auth/health");
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({ status: "degraded", provider: "unreachable" });
    const invalid = await callWith({ ALLOWED_DOMAINS: "", ALLOWED_EMAILS: "" }, "/auth/health");
    expect(invalid.status).toBe(500);
    expect(await invalid.json()).toMatchObject({ status: "error", config: "invalid" });
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/parse-config";
import type { Env } from "../../src/env";
import { callWith, testEnv } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("configuration", () => {
  it("parses the test bindings with defaults", async () => {
    const result = await parseConfig(testEnv);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      originBase: "http://origin.test",
      publicOrigin: "https://app.test",
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 2_592_000,
      refreshReuseGraceSeconds: 30,
      originAudience: "http://origin.test",
      authPrefix: "/auth",
    });
  });

  it("reports every problem at once and names no secret", async () => {
    const secret = "super-secret-client-value";
    const result = await parseConfig({
      ...testEnv,
      ORIGIN_URL: "ftp://x",
      OIDC_CLIENT_ID: "",
      OIDC_CLIENT_SECRET: secret,
      SESSION_KEYS: JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b", alg: "ES256" }] }),
      ALLOWED_EMAILS: "",
      ALLOWED_DOMAINS: "",
      ACCESS_TOKEN_TTL: "-5",
      PUBLIC_PATHS: "nope",
      AUTH_PREFIX: "auth/",
    } as Env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join("\n");
    for (const name of ["ORIGIN_URL", "OIDC_CLIENT_ID", 'missing "kid"', "not a private key", "ALLOWED_EMAILS and ALLOWED_DOMAINS", "ACCESS_TOKEN_TTL", "PUBLIC_PATHS", "AUTH_PREFIX"]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain(secret);
  });

  it("refuses keys whose private half does not match the public one, and duplicate kids", async () => {
    const keys = JSON.parse(testEnv.SESSION_KEYS!).keys;
    const other = { ...keys[0], x: keys[0].y };
    const mismatch = await parseConfig({ ...testEnv, SESSION_KEYS: JSON.stringify({ keys: [other] }) } as Env);
    expect(mismatch.ok).toBe(false);
    const duplicate = await parseConfig({ ...testEnv, SESSION_KEYS: JSON.stringify({ keys: [keys[0], keys[0]] }) } as Env);
    expect(duplicate.ok || duplicate.problems.join()).toMatch(/unique/);
  });

  it("allows http only for a loopback issuer and PUBLIC_URL", async () => {
    expect((await parseConfig({ ...testEnv, OIDC_ISSUER: "http://127.0.0.1:9000" } as Env)).ok).toBe(true);
    expect((await parseConfig({ ...testEnv, OIDC_ISSUER: "http://idp.example" } as Env)).ok).toBe(false);
    expect((await parseConfig({ ...testEnv, PUBLIC_URL: "http://localhost:8787" } as Env)).ok).toBe(true);
    expect((await parseConfig({ ...testEnv, PUBLIC_URL: "https://app.example/path" } as Env)).ok).toBe(false);
  });

  it("answers every request with a plain 500 and logs all problems when misconfigured", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const response = await callWith({ ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "", OIDC_CLIENT_SECRET: "" }, "/anything");
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toMatch(/unit-secret|SESSION_KEYS|"d"/);
    const logged = errors.mock.calls.map((args) => String(args[0])).join("\n");
    expect(logged).toContain("OIDC_CLIENT_SECRET: required");
    expect(logged).toContain("ALLOWED_EMAILS and ALLOWED_DOMAINS are both empty");
  });
});

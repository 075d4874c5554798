import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { generateKeySet } from "../../../scripts/keys.mjs";
import { parseConfig } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { callWith, echoOriginWorker, testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

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
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join("\n");
    for (const name of [
      "ORIGIN_URL",
      "OIDC_CLIENT_ID",
      'missing "kid"',
      "ALLOWED_EMAILS and ALLOWED_DOMAINS",
      "ACCESS_TOKEN_TTL",
      "PUBLIC_PATHS",
      "AUTH_PREFIX",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain(secret);
  });

  it("refuses keys whose private half does not match the public one, and duplicate kids", async () => {
    const keys = JSON.parse(testEnv.SESSION_KEYS).keys;
    const other = { ...keys[0], x: keys[0].y };
    const mismatch = await parseConfig({ ...testEnv, SESSION_KEYS: JSON.stringify({ keys: [other] }) });
    expect(mismatch.ok ? [] : mismatch.problems).toEqual([
      `SESSION_KEYS key #1: not a usable ${keys[0].alg} private key (or its public half does not match)`,
    ]);
    const [ed, otherEd] = [(await generateKeySet("EdDSA")).keys[0]!, (await generateKeySet("EdDSA")).keys[0]!];
    const edMismatch = await parseConfig({
      ...testEnv,
      SESSION_KEYS: JSON.stringify({ keys: [{ ...ed, x: otherEd.x }] }),
    });
    expect(edMismatch.ok ? [] : edMismatch.problems).toEqual([
      "SESSION_KEYS key #1: not a usable EdDSA private key (or its public half does not match)",
    ]);
    const duplicate = await parseConfig({
      ...testEnv,
      SESSION_KEYS: JSON.stringify({ keys: [keys[0], keys[0]] }),
    });
    expect(duplicate.ok || duplicate.problems.join()).toMatch(/unique/);
  });

  it("allows http only for a loopback issuer and PUBLIC_URL", async () => {
    expect((await parseConfig({ ...testEnv, OIDC_ISSUER: "http://127.0.0.1:9000" })).ok).toBe(true);
    expect((await parseConfig({ ...testEnv, OIDC_ISSUER: "http://idp.example" })).ok).toBe(false);
    expect((await parseConfig({ ...testEnv, PUBLIC_URL: "http://localhost:8787" })).ok).toBe(true);
    expect((await parseConfig({ ...testEnv, PUBLIC_URL: "https://app.example/path" })).ok).toBe(false);
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

  it("with the ORIGIN service binding, ORIGIN_URL is optional and ORIGIN_AUDIENCE required", async () => {
    const viaBinding = await parseConfig({
      ...testEnv,
      ORIGIN: echoOriginWorker,
      ORIGIN_URL: "",
      ORIGIN_AUDIENCE: "urn:app",
    });
    expect(viaBinding.ok && viaBinding.config).toMatchObject({
      originVia: "service-binding",
      originBase: undefined,
      originAudience: "urn:app",
    });
    // ORIGIN_URL's origin says nothing about a Worker behind a binding: no default audience.
    const noAudience = await parseConfig({ ...testEnv, ORIGIN: echoOriginWorker });
    expect(noAudience.ok ? [] : noAudience.problems).toEqual([
      expect.stringMatching(/^ORIGIN_AUDIENCE: required with the ORIGIN service binding/),
    ]);
    const notABinding = await parseConfig({
      ...testEnv,
      ORIGIN: "https://origin.example",
      ORIGIN_AUDIENCE: "urn:app",
    } as unknown as Env);
    expect(notABinding.ok ? [] : notABinding.problems).toEqual([
      expect.stringMatching(/^ORIGIN: must be a service binding/),
    ]);
    // Without the binding, ORIGIN_URL stays required.
    const neither = await parseConfig({ ...testEnv, ORIGIN_URL: "" });
    expect(neither.ok ? [] : neither.problems).toEqual(["ORIGIN_URL: required"]);
  });

  it("treats the same vars with and without the ORIGIN binding as two configurations", async () => {
    const vars = { ORIGIN_AUDIENCE: "urn:app" };
    const byUrl = (await (await callWith(vars, "/public/x")).json()) as { url: string };
    const byBinding = (await (await callWith({ ...vars, ORIGIN: echoOriginWorker }, "/public/x")).json()) as {
      url: string;
    };
    expect(byUrl.url).toBe("http://origin.test/public/x");
    // Behind the binding the request still carries ORIGIN_URL when one is set.
    expect(byBinding.url).toBe("http://origin.test/public/x");
    const viaNetwork = vi.spyOn(globalThis, "fetch");
    await callWith({ ...vars, ORIGIN: echoOriginWorker }, "/public/x");
    expect(viaNetwork).not.toHaveBeenCalled();
  });

  it("parses PREVIEW_HOSTS: one * in the first label, never right below a host every account shares", async () => {
    const problemsOf = async (value: string, more: Partial<Env> = {}) => {
      const result = await parseConfig({ ...testEnv, PREVIEW_HOSTS: value, ...more });
      return result.ok ? [] : result.problems;
    };
    expect(await problemsOf("*-app.acme.workers.dev, feature-*.preview.example.com, localhost:8788")).toEqual([]);
    for (const broad of ["*.workers.dev", "*-x.pages.dev", "*.com", "*"])
      expect((await problemsOf(broad)).join(), broad).toMatch(/PREVIEW_HOSTS/);
    for (const bad of [
      "a.*.example.com",
      "**.example.com",
      "https://x.example.com",
      "x.example.com/path",
      "x.example.com:http",
    ])
      expect((await problemsOf(bad)).join(), bad).toMatch(/PREVIEW_HOSTS/);
    // Shared hosting suffixes (anyone can have a host there) and country second levels, in the worker itself.
    for (const shared of [
      "*.vercel.app",
      "*-x.github.io",
      "*.herokuapp.com",
      "*.co.uk",
      "*.com.au",
      "*.r2.dev",
      "*.trycloudflare.com",
      "*.netlify.app",
    ]) {
      expect((await problemsOf(shared)).join(), shared).toMatch(/PREVIEW_HOSTS: ".*" is too broad/);
    }
    // A host of one's own under those suffixes is fine.
    expect(await problemsOf("*-app.acme.vercel.app, *.preview.example.co.uk")).toEqual([]);
    // The registered host runs every sign-in: it must be set, and must not be a preview itself.
    expect(await problemsOf("*-app.preview.test", { PUBLIC_URL: "" })).toEqual([
      "PREVIEW_HOSTS: needs PUBLIC_URL (the registered host that runs every sign-in)",
    ]);
    expect(await problemsOf("app.test")).toEqual(["PREVIEW_HOSTS: must not match PUBLIC_URL's own host"]);
  });
});

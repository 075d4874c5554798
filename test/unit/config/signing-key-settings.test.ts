import { decodeProtectedHeader, importJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { generateKeySet } from "../../../scripts/keys.mjs";
import { parseConfig } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { signJwt } from "../../../src/tokens/our-jwt";
import { ada, callWith, expectExactlyProblems, ISSUER, testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

const SECRET_43 = "q3Zb0Jb9yJm3r1-7O2cJX5bqv2C0xH3cT9f0yB1pK4s";
const publicOnly = <K extends { d?: string }>({ d: _d, ...rest }: K) => rest;
const problemsOf = async (overrides: Partial<Record<keyof Env, unknown>>) => {
  const result = await parseConfig({ ...testEnv, ...overrides } as Env);
  return result.ok ? [] : result.problems;
};

describe("SESSION_KEYS with public-only keys (KEY_ROTATION = manual)", () => {
  it("refuses a set whose first key, the one that signs, has no private part", async () => {
    const [signing] = (await generateKeySet("ES256")).keys;
    expectExactlyProblems(await problemsOf({ SESSION_KEYS: JSON.stringify({ keys: [publicOnly(signing!)] }) }), [
      /^SESSION_KEYS key #1: must be a private key \(with "d"\): it signs/,
    ]);
  });

  it("publishes a public-only key and accepts its tokens, but never signs with it", async () => {
    const [signing] = (await generateKeySet("ES256")).keys;
    const [old] = (await generateKeySet("EdDSA")).keys;
    const rotated = { SESSION_KEYS: JSON.stringify({ keys: [signing, publicOnly(old!)] }) };
    const jwks = (await (await callWith(rotated, "/.well-known/jwks.json")).json()) as { keys: object[] };
    expect(jwks.keys.map((key) => (key as { kid: string }).kid)).toEqual([signing!.kid, old!.kid]);
    for (const key of jwks.keys) expect(key).not.toHaveProperty("d");

    // A token the old key signed before it was rotated out (its private half is nowhere now).
    const now = Math.floor(Date.now() / 1000);
    const oldToken = await signJwt(
      { alg: "EdDSA", kid: old!.kid, typ: "session+jwt" },
      {
        iss: ISSUER,
        aud: `${ISSUER}/auth`,
        sub: ada.sub,
        email: ada.email,
        sid: "s".repeat(22),
        iat: now,
        exp: now + 600,
      },
      (await importJWK(old!, "EdDSA")) as CryptoKey,
    );
    const me = await callWith(rotated, "/auth/me", { headers: { cookie: `__Host-access=${oldToken}` } });
    expect(me.status).toBe(200);
    // What the worker signs now is signed by the private key only.
    const page = await callWith(rotated, "/page", { headers: { cookie: `__Host-access=${oldToken}` } });
    const assertion = ((await page.json()) as { headers: Record<string, string> }).headers["x-auth-assertion"]!;
    expect(decodeProtectedHeader(assertion).kid).toBe(signing!.kid);
  });
});

describe("KEY_ROTATION = auto settings", () => {
  it("needs no SESSION_KEYS, only KEY_WRAPPING_SECRET, and rotates every 30 days by default", async () => {
    const result = await parseConfig({
      ...testEnv,
      SESSION_KEYS: "",
      KEY_ROTATION: "auto",
      KEY_WRAPPING_SECRET: SECRET_43,
    } as Env);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.sessionKeys).toBeUndefined();
    expect(result.config.keyRotation?.periodSeconds).toBe(30 * 86_400);
    expect(result.config.configuredKeys).toEqual([]);
  });

  it("keeps SESSION_KEYS' keys, public-only ones too, as keys that verify", async () => {
    const keys = (await generateKeySet("ES256")).keys.map(publicOnly);
    const result = await parseConfig({
      ...testEnv,
      SESSION_KEYS: JSON.stringify({ keys }),
      KEY_ROTATION: "auto",
      KEY_WRAPPING_SECRET: SECRET_43,
    } as Env);
    expect(result.ok && result.config.configuredKeys.map((key) => key.jwk.kid)).toEqual([keys[0]!.kid]);
  });

  it("lists every problem of the settings at once, and never the secret", async () => {
    const short = "c2hvcnQtc2VjcmV0";
    const problems = await problemsOf({ KEY_ROTATION: "automatic", KEY_ROTATION_DAYS: "30d" });
    expectExactlyProblems(problems, [
      /^KEY_ROTATION: must be one of "manual", "auto"/,
      /^KEY_ROTATION_DAYS: must be a whole number of days from 1 to 365/,
    ]);
    expectExactlyProblems(await problemsOf({ KEY_ROTATION: "auto", SESSION_KEYS: "", KEY_ROTATION_DAYS: "0" }), [
      /^KEY_ROTATION_DAYS: must be a whole number of days/,
      /^KEY_WRAPPING_SECRET: required with KEY_ROTATION = "auto"/,
    ]);
    const weak = await problemsOf({ KEY_ROTATION: "auto", KEY_WRAPPING_SECRET: short });
    expectExactlyProblems(weak, [/^KEY_WRAPPING_SECRET: must be at least 32 random bytes written as base64url/]);
    expect(weak.join()).not.toContain(short);
    expectExactlyProblems(
      await problemsOf({ KEY_ROTATION: "auto", KEY_WRAPPING_SECRET: `${SECRET_43.slice(0, 40)}+/=` }),
      [/^KEY_WRAPPING_SECRET: must be at least 32 random bytes/],
    );
  });
});

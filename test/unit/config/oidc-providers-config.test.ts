import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { parseConfig } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

/** OIDC_PROVIDERS as the worker parses it (docs/providers.md). */

const GOOGLE = "https://accounts.google.com";
const entra = { id: "contractors", label: "Contractors", issuer: "https://login.example/tenant/v2.0", clientId: "c" };
const google = { id: "google", label: "Google", issuer: GOOGLE, clientId: "1234-g.apps.googleusercontent.com" };

/** The test bindings with OIDC_PROVIDERS instead of the single provider's client id and secret. */
function withProviders(providers: unknown, extra: Record<string, unknown> = {}): Env {
  const { OIDC_CLIENT_ID: _id, OIDC_CLIENT_SECRET: _secret, OIDC_ISSUER: _issuer, ...rest } = testEnv;
  return {
    ...rest,
    OIDC_PROVIDERS: JSON.stringify(providers),
    OIDC_CLIENT_SECRET_GOOGLE: "gs",
    OIDC_CLIENT_SECRET_CONTRACTORS: "cs",
    ...extra,
  } as unknown as Env;
}

async function problemsOf(env: Env): Promise<string[]> {
  const result = await parseConfig(env);
  return result.ok ? [] : result.problems;
}

describe("OIDC_PROVIDERS", () => {
  it("gives each provider its secret, and believes Google's claims from Google's issuer only", async () => {
    const result = await parseConfig(withProviders([google, entra]));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.providers).toEqual([
      { ...google, clientSecret: "gs", google: true },
      { ...entra, clientSecret: "cs", google: false },
    ]);
    expect([...result.config.policy.providers]).toEqual(["google", "contractors"]);
  });

  it("without it, the single provider is 'default', trusted for Google's claims as before", async () => {
    const result = await parseConfig(testEnv);
    expect(result.ok && result.config.providers.map(({ id, google }) => ({ id, google }))).toEqual([
      { id: "default", google: true },
    ]);
  });

  it("refuses both forms at once, but lets OIDC_ISSUER stay at Google's default", async () => {
    expect(await problemsOf(withProviders([google], { OIDC_ISSUER: GOOGLE }))).toEqual([]);
    expect(
      await problemsOf(withProviders([google], { OIDC_ISSUER: "https://idp.example", OIDC_CLIENT_ID: "x" })),
    ).toEqual([
      "OIDC_PROVIDERS: set together with OIDC_ISSUER, OIDC_CLIENT_ID; with OIDC_PROVIDERS each provider has its own issuer, client id and secret (OIDC_CLIENT_SECRET_<ID>), so remove them",
    ]);
  });

  it("reports every entry's problems at once", async () => {
    const problems = await problemsOf(
      withProviders(
        [
          { ...google, extra: 1 },
          { id: "9lives", label: " ", issuer: "http://idp.example", clientId: 5 },
          { ...entra, id: "google", issuer: `${GOOGLE}/` },
          { ...entra, id: "missing-secret", issuer: "https://other.example" },
        ],
        { OIDC_CLIENT_SECRET_9LIVES: "x" },
      ),
    );
    expect(problems).toEqual([
      'OIDC_PROVIDERS[0]: unknown key "extra" (allowed: id, label, issuer, clientId, googleStandIn)',
      'OIDC_PROVIDERS[1]: "id" must be lower-case letters, digits and "-", starting with a letter (at most 32)',
      'OIDC_PROVIDERS[1]: "label" must be the name people know the provider by (1 to 64 characters)',
      'OIDC_PROVIDERS[1] "issuer": must be https (http only for localhost or 127.0.0.1)',
      'OIDC_PROVIDERS[1]: "clientId" must be the OAuth client id registered at the provider',
      // Google's issuer with a trailing "/" is still Google's: its client ids have Google's shape.
      expect.stringMatching(/^OIDC_PROVIDERS\[2\] "clientId": not a Google client id, which looks like /),
      "OIDC_CLIENT_SECRET_MISSING_SECRET: required (the client secret of OIDC_PROVIDERS[3])",
      'OIDC_PROVIDERS: "id" "google" is used twice',
      `OIDC_PROVIDERS: "issuer" ${GOOGLE}/ is used twice; each provider needs its own`,
    ]);
  });

  it("refuses an empty list, a non-list and JSON that does not parse", async () => {
    for (const raw of ["[]", '{"id": "google"}']) {
      const problems = await problemsOf({ ...withProviders([]), OIDC_PROVIDERS: raw } as Env);
      expect(problems).toEqual([expect.stringMatching(/^OIDC_PROVIDERS: must be a JSON array of 1 to 16 providers/)]);
    }
    const broken = await problemsOf({ ...withProviders([]), OIDC_PROVIDERS: "[{" } as Env);
    expect(broken).toEqual([expect.stringMatching(/^OIDC_PROVIDERS: not valid JSON/)]);
  });

  it("lets only a local provider stand in for Google", async () => {
    const local = { id: "google", label: "Local", issuer: "http://127.0.0.1:9999", clientId: "g", googleStandIn: true };
    const result = await parseConfig(withProviders([local]));
    expect(result.ok && result.config.providers[0]!.google).toBe(true);
    const remote = { ...entra, googleStandIn: true };
    expect(await problemsOf(withProviders([remote]))).toEqual([
      'OIDC_PROVIDERS[0]: "googleStandIn" is only for a local provider (an http://localhost or http://127.0.0.1 issuer)',
    ]);
  });

  it("refuses a rule naming a provider that is not configured, and an empty providers list", async () => {
    const policy = JSON.stringify([
      { path: "/a/*", allow: { providers: ["partner"] } },
      { path: "/b/*", allow: { providers: [] } },
    ]);
    expect(await problemsOf(withProviders([google, entra], { ACCESS_POLICY: policy }))).toEqual([
      'ACCESS_POLICY[1] "/b/*" "allow.providers": empty; leave it out to admit every provider',
      'ACCESS_POLICY[1] "/b/*" "allow": admits nobody; name at least one e-mail, domain, group, workload or provider',
      'ACCESS_POLICY[0] "/a/*": provider "partner" is not in OIDC_PROVIDERS (ids: google, contractors); add it there or remove it here',
    ]);
  });
});

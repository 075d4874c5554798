import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProvider } from "../../demo/provider.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";
import { freePort } from "../support/stack";

/** `npm run check` over several providers (OIDC_PROVIDERS, docs/providers.md). */

let provider: Awaited<ReturnType<typeof startProvider>>;
let keys: string;
beforeAll(async () => {
  provider = await startProvider({ clients: [] });
  keys = JSON.stringify(await generateKeySet());
});
afterAll(() => provider?.close());

function project(providers: object[], devVars: string, extraVars = "") {
  const dir = mkdtempSync(join(tmpdir(), "check-providers-"));
  const vars = [
    'ORIGIN_URL = "https://origin.example.com"',
    'ALLOWED_DOMAINS = "*"',
    `OIDC_PROVIDERS = '${JSON.stringify(providers)}'`,
    extraVars,
  ].join("\n");
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n[vars]\n${vars}\n`,
  );
  writeFileSync(join(dir, ".dev.vars"), `SESSION_KEYS='${keys}'\n${devVars}`);
  return join(dir, "wrangler.toml");
}

/** The check as an operator runs it (the provider answers from this process while it runs). */
const check = (configPath: string, ...flags: string[]) => runCheck(configPath, flags);

const corp = () => ({ id: "corp", label: "Corp", issuer: provider.issuer, clientId: "corp-client" });

describe("npm run check with OIDC_PROVIDERS", () => {
  it("passes each provider with its secret, and with --discover reads each one's discovery document", async () => {
    const path = project([corp()], "OIDC_CLIENT_SECRET_CORP=s3cret\n");
    expect(await check(path)).toMatchObject({ code: 0 });
    const discovered = await check(path, "--discover");
    expect(discovered.output).toContain("configuration OK");
    expect(discovered.code).toBe(0);
  });

  it("lists every provider problem at once, with a fix, and never prints a secret", async () => {
    const path = project(
      [
        corp(),
        { id: "Partner", label: "", issuer: "http://partner.example", clientId: "" },
        { ...corp(), id: "corp-two" },
      ],
      "OIDC_CLIENT_SECRET_CORP=do-not-print-me\nOIDC_CLIENT_SECRET=leftover\nOIDC_CLIENT_SECRET_CORP_TWO=y\n",
      'OIDC_CLIENT_ID = "leftover"',
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    for (const expected of [
      "OIDC_PROVIDERS: set together with OIDC_CLIENT_ID, OIDC_CLIENT_SECRET",
      'OIDC_PROVIDERS[1]: "id" must be lower-case letters',
      'OIDC_PROVIDERS[1]: "label" must be',
      'OIDC_PROVIDERS[1] "issuer": must be https',
      'OIDC_PROVIDERS[1]: "clientId" must be',
      `OIDC_PROVIDERS: "issuer" ${provider.issuer} is used twice`,
    ])
      expect(output).toContain(expected);
    expect(output).toContain("fix: edit OIDC_PROVIDERS");
    expect(output).not.toContain("do-not-print-me");
  });

  it("names a missing provider secret with its fix, and only warns about it with --deploy", async () => {
    const path = project([corp(), { ...corp(), id: "partner-b", issuer: "https://partner.example" }], "");
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain("OIDC_CLIENT_SECRET_CORP: required");
    expect(output).toContain("OIDC_CLIENT_SECRET_PARTNER_B: required");
    expect(output).toContain("fix: npx wrangler secret put OIDC_CLIENT_SECRET_PARTNER_B");
    const deployed = await check(path, "--deploy");
    expect(deployed.output).toMatch(/warning: OIDC_CLIENT_SECRET_PARTNER_B/);
    expect(deployed.output).not.toMatch(/warning: OIDC_CLIENT_SECRET:/);
  });

  it("with --discover, reports a provider whose discovery cannot be read", async () => {
    const port = await freePort();
    const gone = { id: "gone", label: "Gone", issuer: `http://127.0.0.1:${port}`, clientId: "x" };
    const path = project([corp(), gone], "OIDC_CLIENT_SECRET_CORP=a\nOIDC_CLIENT_SECRET_GONE=b\n");
    const { code, output } = await check(path, "--discover");
    expect(code).toBe(1);
    expect(output).toContain(
      `OIDC_PROVIDERS "gone": discovery at http://127.0.0.1:${port}/.well-known/openid-configuration could not be read`,
    );
    expect(output).not.toContain('OIDC_PROVIDERS "corp"');
  });

  it("refuses a rule naming a provider OIDC_PROVIDERS does not have", async () => {
    const path = project(
      [corp()],
      "OIDC_CLIENT_SECRET_CORP=a\n",
      `ACCESS_POLICY = '[{"path": "/x/*", "allow": {"providers": ["partner"]}}]'`,
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain(
      'ACCESS_POLICY[0] "/x/*": provider "partner" is not in OIDC_PROVIDERS (ids: corp); add it there or remove it here',
    );
  });
});

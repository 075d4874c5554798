import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServiceAccount } from "../../demo/service-account.mjs";
import { checkConfig } from "../../scripts/check-config.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";

/** The README's policy and workload examples are meant to be copied: each one passes `npm run check` as written. */
const README = readFileSync(join(__dirname, "../../README.md"), "utf8");
const section = README.slice(README.indexOf("## Who may see what"), README.indexOf("## Google Workspace groups"));
const tomlExample = /```toml\n([\s\S]*?)```/.exec(section)![1]!;
const jsonExamples = /```jsonc\n([\s\S]*?)```/.exec(section)![1]!.split("\n").filter((line) => line.startsWith("["));
const machines = README.slice(README.indexOf("## Machines as callers"), README.indexOf("## Accounts Google disables"));
const workloadsExample = /```toml\n([\s\S]*?)```/.exec(machines)![1]!;

async function problemsOf(vars: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "readme-policy-"));
  const config = join(dir, "wrangler.toml");
  writeFileSync(config, `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n${vars}\nORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "id"\n`);
  const account = await createServiceAccount();
  const secrets = { OIDC_CLIENT_SECRET: "s", SESSION_KEYS: JSON.stringify(await generateKeySet()), GOOGLE_GROUPS_CREDENTIALS: account.credentials };
  writeFileSync(join(dir, ".dev.vars"), Object.entries(secrets).map(([name, value]) => `${name}='${value.replace(/\n/g, "\\n")}'`).join("\n"));
  return (await checkConfig({ configPath: config })).problems;
}

describe("the README's ACCESS_POLICY examples", () => {
  it("finds them", () => {
    expect(tomlExample).toContain("ACCESS_POLICY = '''");
    expect(jsonExamples.length).toBeGreaterThanOrEqual(5);
    expect(workloadsExample).toContain("TRUSTED_WORKLOADS = '''");
  });

  it("the wrangler.toml example passes npm run check", async () => {
    expect(await problemsOf(tomlExample)).toEqual([]);
  });

  it("the TRUSTED_WORKLOADS example (GitHub Actions and a Google service account) passes npm run check", async () => {
    expect(await problemsOf(workloadsExample)).toEqual([]);
  });

  it("every one-line example passes npm run check", async () => {
    for (const example of jsonExamples) {
      // The catch-all example replaces the allowlists; the others keep the company's domain.
      const allowlist = example.includes('"/*"') ? 'ALLOWED_DOMAINS = ""' : 'ALLOWED_DOMAINS = "example.com"';
      expect(await problemsOf(`[vars]\n${allowlist}\nACCESS_POLICY = '''\n${example}\n'''`), example).toEqual([]);
    }
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServiceAccount } from "../../demo/service-account.mjs";
import { checkConfig } from "../../scripts/check-config.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";

/** The documentation's configuration examples are meant to be copied: each one passes `npm run check` as written. */
const read = (path: string) => readFileSync(join(__dirname, "../..", path), "utf8");
const tomlBlocks = (text: string) =>
  [...text.matchAll(/```toml\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((block) => block.includes("[vars]"));
const readmeExamples = tomlBlocks(read("README.md"));
const policyPage = read("docs/access-policies.md");
// The page's last section, "Machines as callers", has the TRUSTED_WORKLOADS example; the rest, ACCESS_POLICY's.
const workloadsAt = policyPage.indexOf("\n## Machines as callers\n");
const policyExamples = tomlBlocks(policyPage.slice(0, workloadsAt));
const jsonExamples = /```jsonc\n([\s\S]*?)```/
  .exec(policyPage)![1]!
  .split("\n")
  .filter((line) => line.startsWith("["));
const workloadExamples = tomlBlocks(policyPage.slice(workloadsAt));

/** The values an example leaves out, so that `npm run check` judges only what the example shows. */
const FILLERS: Record<string, string> = {
  ORIGIN_URL: '"https://origin.example.com"',
  OIDC_CLIENT_ID: '"1234-test.apps.googleusercontent.com"',
};

async function problemsOf(vars: string): Promise<string[]> {
  return (await findingsOf(vars)).problems;
}

/** What `npm run check` says about an example: its problems and its warnings. */
async function findingsOf(vars: string): Promise<{ problems: string[]; warnings: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "doc-policy-"));
  const config = join(dir, "wrangler.toml");
  const fillers = Object.entries(FILLERS)
    .filter(([name]) => !new RegExp(`^${name} =`, "m").test(vars))
    .map(([name, value]) => `${name} = ${value}`);
  writeFileSync(
    config,
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n${vars}\n${fillers.join("\n")}\n`,
  );
  const account = await createServiceAccount();
  const secrets = {
    OIDC_CLIENT_SECRET: "s",
    SESSION_KEYS: JSON.stringify(await generateKeySet()),
    GOOGLE_GROUPS_CREDENTIALS: account.credentials,
  };
  writeFileSync(
    join(dir, ".dev.vars"),
    Object.entries(secrets)
      .map(([name, value]) => `${name}='${value.replace(/\n/g, "\\n")}'`)
      .join("\n"),
  );
  const { problems, warnings } = await checkConfig({ configPath: config });
  return { problems, warnings };
}

describe("the documentation's configuration examples", () => {
  it("finds them", () => {
    expect(readmeExamples).toHaveLength(1);
    expect(readmeExamples[0]).toContain("ACCESS_POLICY = '''");
    expect(policyExamples).toHaveLength(1);
    expect(policyExamples[0]).toContain("ACCESS_POLICY = '''");
    expect(jsonExamples.length).toBeGreaterThanOrEqual(5);
    expect(workloadExamples).toHaveLength(1);
    expect(workloadExamples[0]).toContain("TRUSTED_WORKLOADS = '''");
  });

  it("the README's wrangler.toml example passes npm run check, without a warning", async () => {
    expect(await findingsOf(readmeExamples[0]!)).toEqual({ problems: [], warnings: [] });
  });

  it("the access policy page's wrangler.toml example passes npm run check", async () => {
    expect(await problemsOf(policyExamples[0]!)).toEqual([]);
  });

  it("the TRUSTED_WORKLOADS example (GitHub Actions and a Google service account) passes npm run check", async () => {
    expect(await problemsOf(workloadExamples[0]!)).toEqual([]);
  });

  it("every one-line ACCESS_POLICY example passes npm run check", async () => {
    for (const example of jsonExamples) {
      // The catch-all example replaces the allowlists; the others keep the company's domain.
      const allowlist = example.includes('"/*"') ? 'ALLOWED_DOMAINS = ""' : 'ALLOWED_DOMAINS = "example.com"';
      expect(await problemsOf(`[vars]\n${allowlist}\nACCESS_POLICY = '''\n${example}\n'''`), example).toEqual([]);
    }
  });
});

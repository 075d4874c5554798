import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployPlan } from "../../scripts/deploy.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";

/**
 * Environments: `npm run check -- --env NAME` checks [env.NAME] alone (wrangler inherits no var
 * and no binding into an environment), and `npm run deploy -- --env NAME` passes it through.
 */
const GOOD_VARS =
  'ORIGIN_URL = "https://origin.example.com"\nPUBLIC_URL = "https://app.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"';

function envProject(toml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "environments-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n${toml}`,
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return join(dir, "wrangler.toml");
}

const kv = (table: string, id: string) => `[[${table}kv_namespaces]]\nbinding = "SESSIONS"\nid = "${id}"\n`;

/** `npm run check` with these arguments, as an operator runs it (in this process: test/support/run-command.ts). */
const check = (...args: string[]) =>
  args[0] === "--config" ? runCheck(args[1]!, args.slice(2)) : runCheck("wrangler.toml", args);

describe("npm run check -- --env NAME", () => {
  it("checks that environment's vars and bindings, not the top level's", async () => {
    const path = envProject(
      `${kv("", "0123456789abcdef0123456789abcdef")}[vars]\n${GOOD_VARS}\n` +
        `[env.staging]\n${kv("env.staging.", "11111111111111111111111111111111")}[env.staging.vars]\nORIGIN_URL = "ftp://staging"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_EMAILS = "a@example.com"\n` +
        `[env.production]\n${kv("env.production.", "22222222222222222222222222222222")}[env.production.vars]\n${GOOD_VARS}\n`,
    );
    expect(await check("--config", path, "--deploy")).toMatchObject({ code: 0 });
    expect(await check("--config", path, "--deploy", "--env", "production")).toMatchObject({ code: 0 });
    const staging = await check("--config", path, "--deploy", "--env", "staging");
    expect(staging.code).toBe(1);
    expect(staging.output).toContain("[env.staging.vars]");
    expect(staging.output).toMatch(/ORIGIN_URL: must be http\(s\)/);
    // The fixes name the environment: its secrets and namespaces are its own.
    expect(staging.output).toContain("npx wrangler secret list --env staging");
  });

  it("inherits nothing: an environment without its own KV binding or vars is refused", async () => {
    const path = envProject(
      `${kv("", "0123456789abcdef0123456789abcdef")}[vars]\n${GOOD_VARS}\n[env.staging]\nroutes = []\n`,
    );
    const { code, output } = await check("--config", path, "--deploy", "--env", "staging");
    expect(code).toBe(1);
    expect(output).toContain("SESSIONS: no [[kv_namespaces]] binding named SESSIONS");
    expect(output).toContain("ORIGIN_URL: required");
    expect(output).toContain("OIDC_CLIENT_ID: required");
  });

  it("refuses an environment wrangler.toml does not define instead of checking the top level", async () => {
    const path = envProject(
      `${kv("", "0123456789abcdef0123456789abcdef")}[vars]\n${GOOD_VARS}\n[env.staging]\n${kv("env.staging.", "11111111111111111111111111111111")}[env.staging.vars]\n${GOOD_VARS}\n`,
    );
    const { code, output } = await check("--config", path, "--deploy", "--env", "stagign");
    expect(code).toBe(1);
    expect(output).toContain("has no [env.stagign] (environments: staging)");
  });

  it("refuses two environments on one KV namespace", async () => {
    const shared = "33333333333333333333333333333333";
    const path = envProject(
      `[env.staging]\n${kv("env.staging.", shared)}[env.staging.vars]\n${GOOD_VARS}\n[env.production]\n${kv("env.production.", shared)}[env.production.vars]\n${GOOD_VARS}\n`,
    );
    const { code, output } = await check("--config", path, "--deploy", "--env", "production");
    expect(code).toBe(1);
    expect(output).toContain("SESSIONS: the same KV namespace as [env.staging]");
  });

  it("reads .dev.vars.NAME for that environment, as wrangler dev --env NAME does", async () => {
    const keys = JSON.stringify(await generateKeySet());
    const path = envProject(
      `[env.staging]\n${kv("env.staging.", "11111111111111111111111111111111")}[env.staging.vars]\n${GOOD_VARS}\n`,
      {
        ".dev.vars.staging": `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${keys}'\n`,
      },
    );
    expect(await check("--config", path, "--env", "staging")).toMatchObject({ code: 0 });
  });

  it("this repository's staging and production lack only what each operator must fill in", async () => {
    for (const environment of ["staging", "production"]) {
      const { code, output } = await check("--deploy", "--env", environment);
      expect(code).toBe(1);
      const problems = output
        .split("\n")
        .filter((line) => line.startsWith("  - "))
        .map((line) => line.slice(4));
      // Everything else of the environment (its PUBLIC_URL, allowlists, origin, ORIGIN_AUDIENCE
      // with the production ORIGIN binding) is valid as it stands.
      expect(problems).toEqual(["OIDC_CLIENT_ID: required", "SESSIONS: the KV namespace id is still the placeholder"]);
    }
  });
});

describe("npm run deploy -- --env NAME", () => {
  it("checks that environment, builds it, then deploys it with the flags given; tests only with --test", () => {
    expect(deployPlan(["--env", "staging", "--dry-run"], ["staging", "production"])).toEqual({
      steps: [
        ["node", ["scripts/check-config.mjs", "--deploy", "--env", "staging"]],
        ["wrangler", ["deploy", "--dry-run", "--outdir", "dist", "--env", "staging"]],
        ["wrangler", ["deploy", "--env", "staging", "--dry-run"]],
      ],
    });
    expect(deployPlan(["--env=production"], ["staging", "production"]).steps?.at(-1)).toEqual([
      "wrangler",
      ["deploy", "--env", "production"],
    ]);
    expect(deployPlan([], []).steps?.at(-1)).toEqual(["wrangler", ["deploy"]]);
    const tested = deployPlan(["--test", "--env", "staging", "--config", "w.toml"], ["staging"]).steps ?? [];
    expect(tested.map(([command, args]) => [command, args[0]])).toEqual([
      ["node", "scripts/check-config.mjs"],
      ["npm", "test"],
      ["wrangler", "deploy"],
      ["wrangler", "deploy"],
    ]);
    expect(tested.at(-1)).toEqual(["wrangler", ["deploy", "--env", "staging", "--config", "w.toml"]]);
  });

  it("refuses to guess the environment when wrangler.toml defines some", () => {
    expect(deployPlan([], ["staging", "production"]).error).toMatch(/--env staging\|production/);
    expect(deployPlan(["--env", "prod"], ["staging", "production"]).error).toMatch(/no \[env\.prod\]/);
    expect(deployPlan(["--env", ""], ["staging"]).steps?.at(-1)).toEqual(["wrangler", ["deploy", "--env="]]);
  });

  it("stops after a failing check, before the build and before anything is deployed", () => {
    const path = envProject(
      `[env.staging]\n${kv("env.staging.", "11111111111111111111111111111111")}[env.staging.vars]\nORIGIN_URL = "ftp://x"\n`,
    );
    const { OIDC_CLIENT_SECRET: _secret, SESSION_KEYS: _keys, ...env } = process.env;
    const result = spawnSync("node", ["scripts/deploy.mjs", "--env", "staging", "--config", path, "--dry-run"], {
      encoding: "utf8",
      env: { ...env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("> node scripts/check-config.mjs --deploy --config");
    expect(result.stdout).not.toContain("> wrangler");
    expect(result.stderr).toContain("nothing was deployed");
  });

  it("wrangler accepts each environment as deployed (dry run): its own bindings, ORIGIN in production", () => {
    for (const environment of ["staging", "production"]) {
      const outdir = mkdtempSync(join(tmpdir(), `dry-run-${environment}-`));
      // The project's wrangler, as `npx wrangler` finds it, without starting npx (npm's code) first.
      const wrangler = ["node_modules/wrangler/bin/wrangler.js", "deploy", "--dry-run", "--outdir", outdir];
      const result = spawnSync(process.execPath, [...wrangler, "--env", environment], {
        encoding: "utf8",
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      });
      expect(result.status).toBe(0);
      const bindings = result.stdout;
      expect(bindings).toContain(
        `env.AUTH_METRICS (edge_auth_decisions${environment === "staging" ? "_staging" : ""})`,
      );
      expect(bindings).toContain("env.SESSION_FAMILIES (SessionFamilies)");
      expect(bindings).toContain(
        environment === "production"
          ? "env.ORIGIN (my-app-origin)"
          : 'env.ORIGIN_URL ("https://staging-origin.example.com")',
      );
      expect(bindings).toContain(
        `env.PUBLIC_URL ("https://${environment === "staging" ? "staging." : ""}app.example.com")`,
      );
    }
  });
});

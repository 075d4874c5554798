import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";

/**
 * `npm run check` checks what `wrangler dev` would run (.dev.vars over [vars], as
 * wrangler merges them: every key, not only the secrets), and `npm run check -- --deploy` what
 * `wrangler deploy` would ([vars] only; .dev.vars is never uploaded, secrets are at Cloudflare).
 */
const TOML_VARS =
  'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = ""\nALLOWED_EMAILS = ""\nALLOWED_DOMAINS = ""';
let keys: string;
beforeAll(async () => {
  keys = JSON.stringify(await generateKeySet());
});

/** A project as `wrangler init` + the documentation leave it: [vars] with the repo's empty defaults. */
function project(files: Record<string, string>, vars = TOML_VARS, extraToml = "") {
  const dir = mkdtempSync(join(tmpdir(), "check-sources-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n[vars]\n${vars}\n${extraToml}`,
  );
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return join(dir, "wrangler.toml");
}

const check = runCheck;

const completeDevVars = () =>
  `OIDC_CLIENT_ID=1234-local.apps.googleusercontent.com\nALLOWED_EMAILS=ada@example.com\nOIDC_CLIENT_SECRET=s3cret-value\nSESSION_KEYS='${keys}'\n`;

describe("npm run check: what wrangler dev would run", () => {
  it("passes [vars] completed by .dev.vars (client id and allowlists too, not only secrets)", async () => {
    const result = await check(project({ ".dev.vars": completeDevVars() }));
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    expect(result.output).not.toContain("s3cret-value");
  });

  it("lets .dev.vars override a [vars] value, as wrangler does", async () => {
    const { code, output } = await check(project({ ".dev.vars": `${completeDevVars()}ORIGIN_URL=ftp://local\n` }));
    expect(code).toBe(1);
    expect(output).toMatch(/ORIGIN_URL: must be http/);
    expect(output).not.toMatch(/OIDC_CLIENT_ID|ALLOWED_EMAILS and ALLOWED_DOMAINS/);
  });

  it("reads .dev.vars.NAME with --env NAME, before .dev.vars", async () => {
    const staging = `[[env.staging.kv_namespaces]]\nbinding = "SESSIONS"\nid = "fedcba9876543210fedcba9876543210"\n[env.staging.vars]\n${TOML_VARS}\n`;
    const path = project(
      { ".dev.vars": "OIDC_CLIENT_ID=\n", ".dev.vars.staging": completeDevVars() },
      TOML_VARS,
      staging,
    );
    expect(await check(path, ["--env", "staging"])).toMatchObject({ code: 0 });
    expect((await check(path)).output).toContain("OIDC_CLIENT_ID: required");
  });

  it("falls back to .env when there is no .dev.vars, as wrangler dev does", async () => {
    expect(await check(project({ ".env": completeDevVars() }))).toMatchObject({ code: 0 });
  });

  it("still reports what .dev.vars leaves missing, every problem at once", async () => {
    const { code, output } = await check(project({ ".dev.vars": "OIDC_CLIENT_SECRET=s3cret-value\n" }));
    expect(code).toBe(1);
    for (const expected of ["OIDC_CLIENT_ID: required", "SESSION_KEYS: required", "ALLOWED_EMAILS and ALLOWED_DOMAINS"])
      expect(output).toContain(expected);
    expect(output).not.toContain("s3cret-value");
  });
});

describe("npm run check -- --deploy: what wrangler deploy would run", () => {
  it("ignores .dev.vars: a complete .dev.vars does not hide empty [vars]", async () => {
    const { code, output } = await check(project({ ".dev.vars": completeDevVars() }), ["--deploy"]);
    expect(code).toBe(1);
    expect(output).toContain("OIDC_CLIENT_ID: required");
    expect(output).toContain("ALLOWED_EMAILS and ALLOWED_DOMAINS");
    // The secrets in .dev.vars are local ones: deploy uses Cloudflare's, so they are only warned about.
    expect(output).toMatch(/warning: OIDC_CLIENT_SECRET/);
    expect(output).toMatch(/warning: SESSION_KEYS/);
    expect(output).not.toContain("s3cret-value");
  });

  it("passes complete [vars], warning about the secrets it cannot see", async () => {
    const vars =
      'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-prod.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"';
    const { code, output } = await check(project({ ".dev.vars": "ALLOWED_DOMAINS=\nORIGIN_URL=ftp://local\n" }, vars), [
      "--deploy",
    ]);
    expect(output).toContain("configuration OK");
    expect(code).toBe(0);
    expect(output).toMatch(/warning: SESSION_KEYS/);
  });

  it("checks a secret given in the environment (about to be put with wrangler secret put)", async () => {
    const vars =
      'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-prod.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"';
    const { code, output } = await check(project({}, vars), ["--deploy"], {
      SESSION_KEYS: "not-json",
      OIDC_CLIENT_SECRET: "env-secret-value",
    });
    expect(code).toBe(1);
    expect(output).toContain("SESSION_KEYS: not valid JSON");
    expect(output).not.toMatch(/warning: (SESSION_KEYS|OIDC_CLIENT_SECRET)/);
    expect(output).not.toContain("env-secret-value");
  });
});

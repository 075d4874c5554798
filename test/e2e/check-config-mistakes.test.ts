import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";

/**
 * Mistakes that used to pass silently or point nowhere: a misspelled name, a JSON value that does
 * not parse, a broken wrangler.toml, a fix that names the wrong file.
 */
const KV = '[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n';
const VARS =
  'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_EMAILS = "ada@example.com"';
let keys: string;
beforeAll(async () => {
  keys = JSON.stringify(await generateKeySet());
});

function project(toml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "check-mistakes-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n${toml}`,
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return join(dir, "wrangler.toml");
}

const check = (configPath: string, ...flags: string[]) => runCheck(configPath, flags);

const secrets = () => `OIDC_CLIENT_SECRET=s3cret-value\nSESSION_KEYS='${keys}'\n`;

describe("npm run check: misspelled names", () => {
  it("names each one, where it was found, and the name it was probably meant to be", async () => {
    const path = project(
      `${KV}[vars]\n${VARS}\nALLOWED_DOMAIN = "example.com"\n` +
        `[env.staging]\n${KV.replace("[[kv", "[[env.staging.kv")}` +
        `[env.staging.vars]\n${VARS}\nPUBLC_PATHS = "/healthz"\n`,
      {
        ".dev.vars": `${secrets()}ALLOWED_DOMIANS=example.com\nOIDC_CLIENT_SECRTE=typo\n`,
      },
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain(
      "ALLOWED_DOMAIN (wrangler.toml [vars]): not a name the worker reads; did you mean ALLOWED_DOMAINS?",
    );
    expect(output).toContain("ALLOWED_DOMIANS (.dev.vars): not a name the worker reads; did you mean ALLOWED_DOMAINS?");
    expect(output).toContain(
      "OIDC_CLIENT_SECRTE (.dev.vars): not a name the worker reads; did you mean OIDC_CLIENT_SECRET?",
    );
    // Another environment's table is not what runs here.
    expect(output).not.toContain("PUBLC_PATHS");
    const staging = await check(path, "--deploy", "--env", "staging");
    expect(staging.output).toContain(
      "PUBLC_PATHS (wrangler.toml [env.staging.vars]): not a name the worker reads; did you mean PUBLIC_PATHS?",
    );
    expect(staging.output).not.toContain("ALLOWED_DOMAIN ");
  }, 60_000);

  it("checks the names of the secrets at Cloudflare when given (as `wrangler secret list` shows them)", async () => {
    const path = project(`${KV}[vars]\n${VARS}\n`);
    const { code, output } = await check(path, "--deploy", "--secret-names", "SESSION_KEYS,OIDC_CLIENT_SECRTE");
    expect(code).toBe(1);
    expect(output).toContain(
      "OIDC_CLIENT_SECRTE (a secret of the Worker): not a name the worker reads; did you mean OIDC_CLIENT_SECRET?",
    );
  }, 60_000);

  it("only warns about a name far from every known one (a variable for something else)", async () => {
    const path = project(`${KV}[vars]\n${VARS}\n`, {
      ".dev.vars": `${secrets()}SENTRY_DSN=https://sentry.example.com/1\n`,
    });
    const { code, output } = await check(path);
    expect(output).toContain("warning: SENTRY_DSN (.dev.vars): not a name the worker reads; it is ignored");
    expect(code).toBe(0);
  }, 60_000);
});

describe("npm run check: values that do not parse", () => {
  it("gives the line and column of a JSON value's mistake, and the file line it is on", async () => {
    const policy =
      '[\n  {"path": "/admin/*", "allow": {"emails": ["boss@example.com"]}}\n  {"path": "/x", "public": true}\n]';
    const path = project(
      `${KV}[vars]\n${VARS}\nACCESS_POLICY = '''\n${policy}\n'''\n` +
        `TRUSTED_WORKLOADS = '{"ci": {"issuer": "https://x",}}'\n`,
      {
        ".dev.vars": `OIDC_CLIENT_SECRET=s\nSESSION_KEYS={"keys": [}\n`,
      },
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    // ACCESS_POLICY's third line, where a comma is missing: wrangler.toml's line 14 (the ''' opens line 11).
    expect(output).toMatch(
      /ACCESS_POLICY: not valid JSON at line 3, column 3 of the value \(.*; wrangler\.toml \[vars\] line 14\)/,
    );
    expect(output).toMatch(
      /TRUSTED_WORKLOADS: not valid JSON at line 1, column 30 of the value \(.*; wrangler\.toml \[vars\] line 17\)/,
    );
    expect(output).toMatch(/SESSION_KEYS: not valid JSON at line 1, column 11 of the value \(.*; \.dev\.vars line 2\)/);
  }, 60_000);

  it("names the file, line and column of a broken wrangler.toml", async () => {
    const path = project(
      `${KV}[vars]\nORIGIN_URL = "https://origin.example.com\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\n`,
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain(`${path} line 8, column 41: not valid TOML`);
  }, 60_000);
});

describe("npm run check: the fix names the file the value came from", () => {
  it("says .dev.vars for a value from .dev.vars, wrangler.toml's table for one from there", async () => {
    const path = project(`${KV}[vars]\n${VARS}\nPUBLIC_URL = "ftp://app"\n`, {
      ".dev.vars": `${secrets()}ORIGIN_URL=ftp://local\n`,
    });
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain("fix: set ORIGIN_URL in .dev.vars to your origin's base URL");
    expect(output).toContain("fix: set PUBLIC_URL in wrangler.toml [vars] to the worker's public origin");
  }, 60_000);

  it("says .dev.vars.NAME for an environment's local file", async () => {
    const path = project(`[env.staging]\n${KV.replace("[[kv", "[[env.staging.kv")}[env.staging.vars]\n${VARS}\n`, {
      ".dev.vars.staging": `${secrets()}ORIGIN_URL=ftp://local\n`,
    });
    const { output } = await check(path, "--env", "staging");
    expect(output).toContain("fix: set ORIGIN_URL in .dev.vars.staging to your origin's base URL");
  }, 60_000);
});

describe("npm run check: pasted values that used to pass, or fail without a fix", () => {
  it("refuses a client secret, a URL, a trailing slash or spaces as OIDC_CLIENT_ID, with Google's shape as the fix", async () => {
    const mistakes = {
      "GOCSPX-abcdefghijklmnopqrstuvwxyz12": "this is a client secret",
      "https://console.cloud.google.com/apis/credentials": "is a URL",
      "1234-test.apps.googleusercontent.com/": 'ends in "/"',
      " 1234-test.apps.googleusercontent.com": "has spaces or a line break around it",
      "my-web-app": "not a Google client id, which looks like 123456789012-",
    };
    for (const [id, expected] of Object.entries(mistakes)) {
      const vars = VARS.replace("1234-test.apps.googleusercontent.com", id);
      const { code, output } = await check(project(`${KV}[vars]\n${vars}\n`, { ".dev.vars": secrets() }));
      expect(output, id).toContain(`OIDC_CLIENT_ID: ${expected}`);
      expect(output, id).not.toContain("configuration OK");
      expect(output).not.toContain("GOCSPX-abcdefghijklmnopqrstuvwxyz12");
      expect(code, id).toBe(1);
    }
  }, 120_000);

  it("says where a trailing comma is and to remove it, and that a lifetime is seconds and what to write", async () => {
    const policy = '[\n  {"path": "/admin/*", "allow": {"emails": ["boss@example.com"]}},\n]';
    const path = project(
      `${KV}[vars]\n${VARS}\nREFRESH_TOKEN_TTL = "30d"\nACCESS_POLICY = \'\'\'\n${policy}\n\'\'\'\n`,
      { ".dev.vars": secrets() },
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    expect(output).toContain(
      'ACCESS_POLICY: not valid JSON at line 2, column 66 of the value (remove the comma after the last item of the list: JSON allows none before "]"; wrangler.toml [vars] line 14)',
    );
    expect(output).toContain(
      'REFRESH_TOKEN_TTL: "30d" is not a number of seconds; the value is in seconds: write REFRESH_TOKEN_TTL = "2592000" (30 days)',
    );
  }, 60_000);

  it("suggests the key an unknown ACCESS_POLICY key was probably meant to be", async () => {
    const policy = '[{"path": "/admin/*", "allow": {"email": ["boss@example.com"]}}]';
    const { code, output } = await check(
      project(`${KV}[vars]\n${VARS}\nACCESS_POLICY = '${policy}'\n`, { ".dev.vars": secrets() }),
    );
    expect(code).toBe(1);
    expect(output).toContain('ACCESS_POLICY[0] "/admin/*" "allow": unknown key "email"; did you mean "emails"?');
  }, 60_000);
});

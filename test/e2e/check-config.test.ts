import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";

function project(vars: string, devVars?: string, tables = "") {
  const dir = mkdtempSync(join(tmpdir(), "check-config-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n${tables}[vars]\n${vars}\n`,
  );
  if (devVars !== undefined) writeFileSync(join(dir, ".dev.vars"), devVars);
  return join(dir, "wrangler.toml");
}

const check = (configPath: string, ...flags: string[]) => runCheck(configPath, flags);

describe("npm run check", () => {
  it("passes a complete configuration, with secrets from .dev.vars", async () => {
    const keys = JSON.stringify(await generateKeySet());
    const path = project(
      'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"',
      `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${keys}'\n`,
    );
    const result = await check(path);
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain("configuration OK");
  });

  it("lists every problem at once, each with a fix, and never prints a secret", async () => {
    const path = project(
      'ORIGIN_URL = "ftp://x"\nACCESS_TOKEN_TTL = "soon"',
      "OIDC_CLIENT_SECRET=do-not-print-me\nSESSION_KEYS=not-json\n",
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    for (const expected of [
      "ORIGIN_URL",
      "OIDC_CLIENT_ID: required",
      "SESSION_KEYS: not valid JSON",
      "ALLOWED_EMAILS and ALLOWED_DOMAINS",
      "ACCESS_TOKEN_TTL",
    ]) {
      expect(output).toContain(expected);
    }
    expect(output).toContain("fix: ");
    expect(output).not.toContain("do-not-print-me");
  });

  it("with --deploy, only warns about secrets it cannot see", async () => {
    const path = project(
      'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_EMAILS = "a@example.com"',
    );
    const { code, output } = await check(path, "--deploy");
    expect(code).toBe(0);
    expect(output).toMatch(/warning: SESSION_KEYS/);
  });

  it("reports every ACCESS_POLICY mistake with its fix: unknown keys, unreachable rules, a public catch-all, groups without credentials", async () => {
    const policy = JSON.stringify([
      { path: "/admin/*", allow: { groups: ["admins@example.com"] } },
      { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
      { path: "/*", public: true },
      { path: "/x", alow: { emails: ["a@example.com"] } },
    ]);
    // A TOML multi-line literal string: how a readable policy is written in wrangler.toml.
    const path = project(
      `ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\nACCESS_POLICY = '''\n${policy}\n'''`,
      "OIDC_CLIENT_SECRET=s\n",
    );
    const { code, output } = await check(path);
    expect(code).toBe(1);
    for (const expected of [
      'ACCESS_POLICY[0] "/admin/*": names groups, but GOOGLE_GROUPS_CREDENTIALS is not set',
      'ACCESS_POLICY[1] "/admin/*": unreachable: ACCESS_POLICY[0] "/admin/*" has the same path',
      'ACCESS_POLICY[2] "/*": would make the whole site (or its home page) public',
      'ACCESS_POLICY[3] "/x": unknown key "alow"',
      "fix: npx wrangler secret put GOOGLE_GROUPS_CREDENTIALS",
      "fix: edit ACCESS_POLICY in wrangler.toml [vars]",
    ]) {
      expect(output).toContain(expected);
    }
  });

  it("reports settings the worker runs with but ignores (they change nothing it does), each with its fix", async () => {
    const keys = JSON.stringify(await generateKeySet());
    const policy = JSON.stringify([
      { path: "/auth/*", allow: { emails: ["a@example.com"] } },
      { path: "/status", public: true, preflight: true },
      { path: "/*", allow: { domains: ["example.org"] } },
    ]);
    const vars = `ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\nACCESS_POLICY = '${policy}'`;
    const { code, output } = await check(project(vars, `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${keys}'\n`));
    expect(code).toBe(1);
    for (const expected of [
      'ACCESS_POLICY[0] "/auth/*": never applies: /auth and /.well-known/jwks.json are the worker\'s own routes; remove the rule',
      'ACCESS_POLICY[1] "/status": "preflight" on a public rule changes nothing (its preflights pass already); remove it',
      'ALLOWED_EMAILS/ALLOWED_DOMAINS: never decide anything, because ACCESS_POLICY[2] "/*" covers every path',
      "fix: edit ACCESS_POLICY in wrangler.toml [vars]",
    ]) {
      expect(output).toContain(expected);
    }
  });

  it("warns, without failing, when a rule's .json variant (a format to Rails) is open to anyone", async () => {
    const keys = JSON.stringify(await generateKeySet());
    const policy = JSON.stringify([
      { path: "/docs/*", public: true },
      { path: "/docs/admin/*", allow: { emails: ["boss@example.com"] } },
    ]);
    const vars = `ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\nACCESS_POLICY = '${policy}'`;
    const { code, output } = await check(project(vars, `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${keys}'\n`));
    expect(code).toBe(0);
    expect(output).toContain("configuration OK");
    expect(output).toContain(
      'warning: ACCESS_POLICY[1] "/docs/admin/*": anyone can open "/docs/admin.json" without signing in',
    );
  });

  it("refuses a PREVIEW_HOSTS wildcard right below any public suffix of the Public Suffix List, private domains included", async () => {
    const keys = JSON.stringify(await generateKeySet());
    const hosts = "*-app.acme.workers.dev, *.myshopify.com, *-x.s3.amazonaws.com, *.preview.example.com";
    const vars = `ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\nPUBLIC_URL = "https://app.example.com"\nPREVIEW_HOSTS = "${hosts}"`;
    const { code, output } = await check(project(vars, `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${keys}'\n`));
    expect(code).toBe(1);
    expect(output).toContain('PREVIEW_HOSTS: "*.myshopify.com" is right below "myshopify.com", a public suffix');
    expect(output).toContain(
      'PREVIEW_HOSTS: "*-x.s3.amazonaws.com" is right below "s3.amazonaws.com", a public suffix',
    );
    expect(output).not.toContain("*-app.acme.workers.dev");
    expect(output).not.toContain("*.preview.example.com");
  });

  it("knows the ORIGIN service binding: ORIGIN_URL optional, ORIGIN_AUDIENCE required", async () => {
    const vars = 'OIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_EMAILS = "a@example.com"';
    const withoutOrigin = await check(project(vars), "--deploy");
    expect(withoutOrigin.code).toBe(1);
    expect(withoutOrigin.output).toContain("ORIGIN_URL: required");
    const binding = '\n[[services]]\nbinding = "ORIGIN"\nservice = "my-app-origin"\n';
    const noAudience = await check(project(vars, undefined, binding), "--deploy");
    expect(noAudience.code).toBe(1);
    expect(noAudience.output).not.toContain("ORIGIN_URL");
    expect(noAudience.output).toContain("ORIGIN_AUDIENCE: required with the ORIGIN service binding");
    expect(
      await check(project(`${vars}\nORIGIN_AUDIENCE = "https://origin.example.com"`, undefined, binding), "--deploy"),
    ).toMatchObject({ code: 0 });
  });
});

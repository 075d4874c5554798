import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCheck } from "../support/run-command";

/**
 * The files the Deploy to Cloudflare button reads, against what `npm run check` requires: the
 * secrets it asks for (.dev.vars.example), the description of each value (`cloudflare.bindings`
 * in package.json), the vars its form shows (wrangler.toml's top level, which it deploys) and the
 * KV namespace it provisions (a binding without an id). The required names come from the check
 * itself, run on an empty configuration, so a new required setting fails here until it is covered.
 */
const REQUIRED_SECRET_WARNING = /^warning: ([A-Z][A-Z0-9_]*): not available here/gm;
const TOML = readFileSync("wrangler.toml", "utf8");
/** The top level: what the button deploys (`npx wrangler deploy`, no environment). */
const TOP_LEVEL = TOML.slice(0, TOML.indexOf("\n[env."));
const EXAMPLE = readFileSync(".dev.vars.example", "utf8");
const DESCRIBED = (
  JSON.parse(readFileSync("package.json", "utf8")) as {
    cloudflare: { bindings: Record<string, { description: string }> };
  }
).cloudflare.bindings;

function project(toml: string, devVars?: string) {
  const dir = mkdtempSync(join(tmpdir(), "deploy-button-"));
  writeFileSync(join(dir, "wrangler.toml"), toml);
  if (devVars !== undefined) writeFileSync(join(dir, ".dev.vars"), devVars);
  return join(dir, "wrangler.toml");
}

/** The names a problem line is about: `ORIGIN_URL: required`, `ALLOWED_EMAILS and ALLOWED_DOMAINS are ...`. */
function namesIn(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("  - "))
    .flatMap((line) => /^ {2}- ([A-Z][A-Z0-9_]*)(?: and ([A-Z][A-Z0-9_]*))?/.exec(line)?.slice(1) ?? [])
    .filter((name): name is string => Boolean(name));
}

const exampleSecrets = () => [...EXAMPLE.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);

describe("the Deploy to Cloudflare button's files", () => {
  const empty = 'name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n';
  let required: string[] = [];
  let secrets: string[] = [];
  beforeAll(async () => {
    required = namesIn((await runCheck(project(empty))).output);
    // Secrets are what a deploy cannot see: the check names them as warnings there, not problems.
    secrets = [...(await runCheck(project(empty), ["--deploy"])).output.matchAll(REQUIRED_SECRET_WARNING)].map(
      (match) => match[1]!,
    );
  });

  it("the check's required names are the ones these files must cover", async () => {
    // The settings without which the worker refuses to serve: a sanity check of the derivation.
    expect(required).toEqual(expect.arrayContaining(["ORIGIN_URL", "OIDC_CLIENT_ID", "SESSION_KEYS", "SESSIONS"]));
    expect(secrets).toEqual(expect.arrayContaining(["OIDC_CLIENT_SECRET", "SESSION_KEYS"]));
    expect(secrets.every((name) => required.includes(name))).toBe(true);
  });

  it("describes every variable, secret and binding the check requires in package.json", async () => {
    for (const name of required) {
      expect(DESCRIBED[name]?.description.length ?? 0, name).toBeGreaterThan(30);
    }
  });

  it("asks for every required secret (.dev.vars.example), and shows every required var in the form", async () => {
    expect(exampleSecrets()).toEqual(expect.arrayContaining(secrets));
    const topVars = TOP_LEVEL.slice(TOP_LEVEL.indexOf("\n[vars]"));
    for (const name of required.filter((name) => !secrets.includes(name) && name !== "SESSIONS"))
      expect([name, new RegExp(`^${name} = `, "m").test(topVars)]).toEqual([name, true]);
    // A secret is asked for once: never also a var of the form.
    for (const name of exampleSecrets())
      expect([name, new RegExp(`^${name} = `, "m").test(topVars)]).toEqual([name, false]);
  });

  it("lets wrangler deploy provision the SESSIONS namespace: a binding with no id, never the placeholder", async () => {
    const kv = /\[\[kv_namespaces\]\]\n((?:#.*\n)*)((?:[a-z_]+ = .*\n)*)/.exec(TOP_LEVEL)?.[2] ?? "";
    expect(kv).toBe('binding = "SESSIONS"\n');
  });

  it("names only settings the worker reads", async () => {
    const names = [...new Set([...exampleSecrets(), ...Object.keys(DESCRIBED)])].filter((name) => name !== "SESSIONS");
    const devVars = names.map((name) => `${name}=x`).join("\n");
    const { output } = await runCheck(project(TOP_LEVEL, devVars));
    expect(output).not.toContain("not a name the worker reads");
    expect(Object.keys(DESCRIBED)).toEqual(expect.arrayContaining(names));
  }, 60_000);

  it("with the example's placeholders the worker refuses to serve; with the form filled in, the check passes", async () => {
    // What the form holds: the top level's vars with the person's answers, and the secrets.
    const answered = TOP_LEVEL.replace(
      'OIDC_CLIENT_ID = ""',
      'OIDC_CLIENT_ID = "1234-button.apps.googleusercontent.com"',
    )
      .replace('ALLOWED_DOMAINS = ""', 'ALLOWED_DOMAINS = "example.com"')
      .replace(/^main = .*$/m, 'main = "index.js"');
    const placeholders = await runCheck(project(answered, EXAMPLE));
    expect(placeholders.code).toBe(1);
    expect(namesIn(placeholders.output)).toEqual(["SESSION_KEYS"]);

    const keys = JSON.stringify(await generateKeySet());
    const filled = EXAMPLE.replace(/^SESSION_KEYS=.*$/m, `SESSION_KEYS='${keys}'`).replace(
      /^OIDC_CLIENT_SECRET=.*$/m,
      "OIDC_CLIENT_SECRET=the-real-secret",
    );
    const passing = await runCheck(project(answered, filled));
    expect(passing.output).toContain("configuration OK");
    expect(passing.code).toBe(0);
    // As the button deploys it: secrets at Cloudflare, unseen here, and no KV id to fill in.
    const deployed = await runCheck(project(answered), ["--deploy"], { OIDC_CLIENT_SECRET: "s", SESSION_KEYS: keys });
    expect(deployed.output).toContain("configuration OK");
  }, 120_000);
});

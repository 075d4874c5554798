import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { environment, secretsOf, workspace as setupWorkspace } from "../support/setup-workspace";

/**
 * `npm run setup -- --env NAME` against a stand-in `wrangler` on PATH (test/support/fake-wrangler.mjs:
 * wrangler 4.86's output, a JSON file for the Cloudflare account), on a copy of this repository's
 * wrangler.toml, from nothing to a passing check, then again to repair what went missing. Setup
 * runs in this process (test/support/run-command.ts), but for one test that runs `node scripts/setup.mjs`.
 */
const REPO_TOML = readFileSync("wrangler.toml", "utf8");
const SECRET = "client-secret-value-for-tests";
const workspace = () => setupWorkspace(REPO_TOML);

const ANSWERS = [
  "--public-url",
  "demo.example.org",
  "--origin-url",
  "https://origin.example.org",
  "--client-id",
  "1234-demo.apps.googleusercontent.com",
  "--allowed-domains",
  "example.org",
];

describe("npm run setup -- --env NAME", () => {
  it("takes a new environment to a passing check, then repairs a lost KV id and secret, keeping the keys", async () => {
    const space = workspace();
    const first = await space.run(["--env", "demo", "--yes", ...ANSWERS], { env: { OIDC_CLIENT_SECRET: SECRET } });
    expect(first.output).toContain("configuration OK");
    expect(first.code).toBe(0);
    // What to register with Google, and the one command that deploys.
    expect(first.output).toContain("Authorized redirect URI:       https://demo.example.org/auth/callback");
    expect(first.output).toContain("Authorized JavaScript origin:  https://demo.example.org\n");
    expect(first.output).toContain("npm run deploy -- --env demo --config");

    // The file as it was, comments and all, with the new environment after it.
    expect(space.text().startsWith(REPO_TOML.trimEnd())).toBe(true);
    const demo = await environment(space.toml, "demo");
    const account = space.account();
    expect(account.namespaces).toEqual([expect.objectContaining({ title: "demo-SESSIONS" })]);
    const namespaceId = account.namespaces[0]?.id ?? "";
    expect(demo.kv_namespaces).toEqual([{ binding: "SESSIONS", id: namespaceId }]);
    expect(demo.vars).toMatchObject({
      PUBLIC_URL: "https://demo.example.org",
      ORIGIN_URL: "https://origin.example.org",
      ORIGIN_AUDIENCE: "https://origin.example.org",
      OIDC_CLIENT_ID: "1234-demo.apps.googleusercontent.com",
      ALLOWED_DOMAINS: "example.org",
      ALLOWED_EMAILS: "",
    });
    expect(demo.routes).toEqual([{ pattern: "demo.example.org", custom_domain: true }]);
    const secrets = secretsOf(account, "edge-auth-worker-demo");
    expect(secrets.OIDC_CLIENT_SECRET).toBe(SECRET);
    // No key to hold: the worker makes and rotates its own, encrypted under a generated secret.
    expect(demo.vars).toMatchObject({ KEY_ROTATION: "auto" });
    expect(secrets.SESSION_KEYS).toBeUndefined();
    const wrappingSecret = secrets.KEY_WRAPPING_SECRET ?? "";
    expect(wrappingSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Secrets only ever on wrangler's stdin.
    expect(first.calls.map((call) => call.args.join(" "))).toEqual([
      `whoami --json --config ${space.toml}`,
      `kv namespace create SESSIONS --env demo --config ${space.toml}`,
      `secret list --env demo --config ${space.toml}`,
      `secret put OIDC_CLIENT_SECRET --env demo --config ${space.toml}`,
      `secret put KEY_WRAPPING_SECRET --env demo --config ${space.toml}`,
    ]);
    expect(first.calls.filter((call) => call.stdinBytes > 0).map((call) => call.args[2])).toEqual([
      "OIDC_CLIENT_SECRET",
      "KEY_WRAPPING_SECRET",
    ]);
    expect(first.output).not.toContain(SECRET);
    expect(first.output).not.toContain(wrappingSecret);

    // Lost: the namespace id in wrangler.toml, and the client secret at Cloudflare.
    writeFileSync(space.toml, space.text().replace(namespaceId, "00000000000000000000000000000000"));
    const state = space.account();
    delete secretsOf(state, "edge-auth-worker-demo").OIDC_CLIENT_SECRET;
    writeFileSync(space.state, JSON.stringify(state));
    const second = await space.run(["--env", "demo", "--yes"], { env: { OIDC_CLIENT_SECRET: SECRET } });
    expect(second.output).toContain("configuration OK");
    expect(second.code).toBe(0);
    expect(second.output).toContain("secret KEY_WRAPPING_SECRET: kept");
    expect(second.output).toContain("KV namespace SESSIONS: found at Cloudflare as demo-SESSIONS");
    const repaired = space.account();
    expect(repaired.namespaces).toHaveLength(1);
    expect((await environment(space.toml, "demo")).kv_namespaces).toEqual([{ binding: "SESSIONS", id: namespaceId }]);
    expect(secretsOf(repaired, "edge-auth-worker-demo")).toEqual({
      OIDC_CLIENT_SECRET: SECRET,
      KEY_WRAPPING_SECRET: wrappingSecret,
    });
    expect(second.calls.map((call) => call.args.slice(0, 3).join(" "))).not.toContain("secret put KEY_WRAPPING_SECRET");
    // The answers were kept from the first run.
    expect((await environment(space.toml, "demo")).vars).toEqual(demo.vars);
  }, 120_000);

  it('keeps an environment that already signs with SESSION_KEYS on KEY_ROTATION = "manual", its keys untouched', async () => {
    const space = workspace();
    const keys = JSON.stringify(await generateKeySet());
    writeFileSync(
      space.state,
      JSON.stringify({ namespaces: [], workers: { "edge-auth-worker-demo": { secrets: { SESSION_KEYS: keys } } } }),
    );
    const result = await space.run(["--env", "demo", "--yes", ...ANSWERS], { env: { OIDC_CLIENT_SECRET: SECRET } });
    expect(result.code).toBe(0);
    expect(result.output).toContain('secret SESSION_KEYS: kept (KEY_ROTATION = "manual"');
    expect((await environment(space.toml, "demo")).vars).toMatchObject({ KEY_ROTATION: "manual" });
    expect(secretsOf(space.account(), "edge-auth-worker-demo")).toEqual({
      SESSION_KEYS: keys,
      OIDC_CLIENT_SECRET: SECRET,
    });
    expect(result.calls.map((call) => call.args.slice(0, 3).join(" "))).not.toContain("secret put KEY_WRAPPING_SECRET");
  }, 60_000);

  it("edits an existing [env.NAME] in place: only its answers change, comments and other tables stay", async () => {
    const space = workspace();
    const result = await space.run(
      [
        "--env",
        "staging",
        "--yes",
        "--public-url",
        "https://login.example.net",
        "--origin-service",
        "app-origin",
        "--client-id",
        "1234-staging.apps.googleusercontent.com",
        "--allowed-emails",
        "ada@example.net",
      ],
      { env: { OIDC_CLIENT_SECRET: SECRET } },
    );
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    const before = REPO_TOML.split("\n");
    const after = space.text().split("\n");
    // Lines outside staging's tables are untouched.
    expect(after.slice(0, before.indexOf("[env.staging]"))).toEqual(before.slice(0, before.indexOf("[env.staging]")));
    const production = before.findIndex((line) => line.startsWith("# Production:"));
    expect(after.slice(after.findIndex((line) => line.startsWith("# Production:")))).toEqual(before.slice(production));
    // Staging's own comments are kept too.
    for (const line of before.slice(before.indexOf("[env.staging]"), production).filter((text) => text.startsWith("#")))
      expect(after).toContain(line);
    const staging = await environment(space.toml, "staging");
    expect(staging.services).toEqual([{ binding: "ORIGIN", service: "app-origin" }]);
    expect(staging.vars).toMatchObject({
      ORIGIN_URL: "",
      ORIGIN_AUDIENCE: "https://login.example.net/origin",
      PUBLIC_URL: "https://login.example.net",
      ALLOWED_EMAILS: "ada@example.net",
      PREVIEW_HOSTS: "*-edge-auth-worker-staging.example.workers.dev",
    });
    expect(staging.routes).toEqual([{ pattern: "login.example.net", custom_domain: true }]);
    expect(result.output).toContain("Authorized redirect URI:       https://login.example.net/auth/callback");
  }, 120_000);

  it("asks on the terminal, with the secret read without echo, when no flag answers", async () => {
    const space = workspace();
    const input =
      [
        "demo.example.org",
        "https://origin.example.org",
        "1234-demo.apps.googleusercontent.com",
        "",
        "example.org",
        SECRET,
      ].join("\n") + "\n";
    // As a process of its own, once: setup's entry point, its exit status, and answers read from its real stdin.
    const result = space.spawn(["--env", "demo"], { input });
    expect(result.output).toContain("Public hostname of the worker");
    expect(result.output).toContain("Google OAuth client secret (not shown)");
    // In the order the table of docs/deploying.md, "What it asks", lists them.
    const order = (text: string, marks: string[]) => marks.map((mark) => text.indexOf(mark));
    const prompts = order(result.output, ["Public hostname", "Origin:", "client id", "e-mail", "domains", "secret"]);
    expect(prompts.every((at, i) => at > (prompts[i - 1] ?? -1))).toBe(true);
    const docs = readFileSync("docs/deploying.md", "utf8");
    const table = docs.slice(docs.indexOf("## What it asks"), docs.indexOf("Press Enter"));
    const rows = order(table, ["public hostname", "The origin", "client id", "e-mail", "Workspace domains", "secret"]);
    expect(rows.every((at, i) => at > (rows[i - 1] ?? -1))).toBe(true);
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    expect(secretsOf(space.account(), "edge-auth-worker-demo").OIDC_CLIENT_SECRET).toBe(SECRET);
    expect((await environment(space.toml, "demo")).vars).toMatchObject({
      PUBLIC_URL: "https://demo.example.org",
      OIDC_CLIENT_ID: "1234-demo.apps.googleusercontent.com",
      ALLOWED_DOMAINS: "example.org",
    });
  }, 120_000);

  it("reads the client secret from stdin (--client-secret -); the check flags a misspelled secret", async () => {
    const space = workspace();
    writeFileSync(
      space.state,
      JSON.stringify({
        namespaces: [],
        workers: { "edge-auth-worker-demo": { secrets: { OIDC_CLIENT_SECRTE: "typo" } } },
      }),
    );
    const result = await space.run(["--env", "demo", "--yes", ...ANSWERS, "--client-secret", "-"], {
      input: `${SECRET}\n`,
    });
    expect(secretsOf(space.account(), "edge-auth-worker-demo").OIDC_CLIENT_SECRET).toBe(SECRET);
    expect(result.output).toContain(
      "OIDC_CLIENT_SECRTE (a secret of the Worker): not a name the worker reads; did you mean OIDC_CLIENT_SECRET?",
    );
    expect(result.code).toBe(1);
  }, 120_000);

  it("with --yes and answers missing, lists every one and changes nothing", async () => {
    const space = workspace();
    const result = await space.run(["--env", "demo", "--yes", "--public-url", "http://demo.example.org/app"]);
    expect(result.code).toBe(1);
    for (const expected of [
      '--public-url: "http://demo.example.org/app" is not an https origin',
      "--origin-url or --origin-service: required",
      "--client-id: required",
      "--allowed-emails or --allowed-domains",
    ]) {
      expect(result.output).toContain(expected);
    }
    expect(space.text()).toBe(REPO_TOML);
    expect(result.calls.map((call) => call.args[0])).toEqual(["whoami"]);
    expect(existsSync(space.state)).toBe(false);
  }, 60_000);

  it("without a Cloudflare login, asks nothing, changes no file and says to run npx wrangler login", async () => {
    const space = workspace();
    writeFileSync(space.state, JSON.stringify({ loggedIn: false, namespaces: [], workers: {} }));
    const before = space.files();
    const result = await space.run(["--env", "demo", "--yes", ...ANSWERS], { env: { OIDC_CLIENT_SECRET: SECRET } });
    expect(result.code).toBe(1);
    expect(result.output).toContain("not logged in to a Cloudflare account");
    expect(result.output).toContain("\n  npx wrangler login\n");
    expect(result.output).toContain("CLOUDFLARE_API_TOKEN");
    expect(result.output).not.toContain("Public hostname");
    expect(space.files()).toEqual(before);
    expect(result.calls.map((call) => call.args.join(" "))).toEqual([`whoami --json --config ${space.toml}`]);
  }, 60_000);

  it("with several accounts and none chosen, changes no file and names each account's CLOUDFLARE_ACCOUNT_ID", async () => {
    const space = workspace();
    const accounts = [
      { id: "11111111111111111111111111111111", name: "Ada's Account" },
      { id: "22222222222222222222222222222222", name: "Example Corp" },
    ];
    writeFileSync(space.state, JSON.stringify({ accounts, namespaces: [], workers: {} }));
    const before = space.files();
    const result = await space.run(["--env", "demo", "--yes", ...ANSWERS], { env: { OIDC_CLIENT_SECRET: SECRET } });
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      "CLOUDFLARE_ACCOUNT_ID=22222222222222222222222222222222 npm run setup -- --env demo",
    );
    expect(space.files()).toEqual(before);
    // Chosen, setup goes on.
    const chosen = await space.run(["--env", "demo", "--yes", ...ANSWERS], {
      env: { OIDC_CLIENT_SECRET: SECRET, CLOUDFLARE_ACCOUNT_ID: accounts[1]!.id },
    });
    expect(chosen.output).toContain("configuration OK");
    expect(chosen.code).toBe(0);
  }, 120_000);

  it("refuses an --env that is not a plain name before asking wrangler anything", async () => {
    const space = workspace();
    const before = space.files();
    for (const name of ['x]\n[vars]\nALLOWED_DOMAINS = "*"\n[env.x', "Staging", "prod.eu", "-x", ""]) {
      const result = await space.run([`--env=${name}`, "--yes", ...ANSWERS], { env: { OIDC_CLIENT_SECRET: SECRET } });
      expect([name, result.code]).toEqual([name, 2]);
      expect(result.output).toContain("is not an environment name");
      expect(result.calls).toEqual([]);
    }
    expect(space.files()).toEqual(before);
  }, 60_000);
});

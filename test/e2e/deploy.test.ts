import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../scripts/deploy.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { runCommand } from "../support/run-command";
import { standInCalls, standInEnv, standInWrangler } from "../support/setup-workspace";

/**
 * `npm run deploy -- --env NAME` from an ordinary laptop: the check, the build (wrangler's real
 * dry run and the bundle budget) and `wrangler deploy`, against the stand-in wrangler
 * (test/support/fake-wrangler.mjs) for the account. No browser, no Python, no Go: the test suite
 * is not part of a deploy unless asked for with --test. How long it takes is printed, not
 * asserted (a shared machine's load decides that; the steps it runs are what the test holds):
 * a few seconds on a quiet machine.
 */

/** This repository's wrangler.toml with staging filled in as setup would, in a directory of its own. */
function project() {
  const dir = mkdtempSync(join(tmpdir(), "deploy-"));
  const bin = standInWrangler(dir);
  const toml = readFileSync("wrangler.toml", "utf8");
  const staging = toml.indexOf("[env.staging]");
  // The top level as the Deploy to Cloudflare button's form fills it in.
  const filled =
    toml
      .slice(0, staging)
      .replace('main = "src/index.ts"', `main = ${JSON.stringify(resolve("src/index.ts"))}`)
      .replace('OIDC_CLIENT_ID = ""', 'OIDC_CLIENT_ID = "1234-button.apps.googleusercontent.com"')
      .replace('ALLOWED_DOMAINS = ""', 'ALLOWED_DOMAINS = "example.com"') +
    toml
      .slice(staging)
      .replace('id = "00000000000000000000000000000000"', 'id = "5e551045000000000000000000000001"')
      .replace('OIDC_CLIENT_ID = ""', 'OIDC_CLIENT_ID = "1234-staging.apps.googleusercontent.com"');
  writeFileSync(join(dir, "wrangler.toml"), filled);
  return { dir, bin, toml: join(dir, "wrangler.toml"), state: join(dir, "account.json"), calls: join(dir, "calls") };
}

/**
 * Runs `npm run deploy` (scripts/deploy.mjs) in this process (test/support/run-command.ts), with
 * the stand-in first on PATH and none of this shell's secrets. Its steps' commands are processes of
 * their own, whose output it forwards. `node scripts/deploy.mjs` itself runs in environments.test.ts.
 */
async function deploy(space: ReturnType<typeof project>, args: string[], env: Record<string, string> = {}) {
  writeFileSync(space.calls, "");
  const started = performance.now();
  const result = await runCommand(main, [...args, "--config", space.toml], {
    env: {
      ...standInEnv(space.bin, space),
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      ...env,
    },
  });
  return {
    code: result.code,
    output: result.output,
    stderr: result.stderr,
    seconds: (performance.now() - started) / 1000,
    calls: standInCalls(space.calls).map((call) => call.args.join(" ")),
  };
}

describe("npm run deploy -- --env NAME", () => {
  it("checks, builds and deploys with no browser, Python or Go, and never runs the tests", async () => {
    const space = project();
    const result = await deploy(space, ["--env", "staging"], {
      // The secrets as `wrangler secret list` would show them, so the check has nothing to warn about.
      OIDC_CLIENT_SECRET: "staging-client-secret",
      SESSION_KEYS: JSON.stringify(await generateKeySet()),
      CHROMIUM_PATH: "/nope",
    });
    expect(result.output).toContain("configuration OK");
    // The build: wrangler's dry run, with the bindings it would deploy.
    expect(result.output).toContain("env.SESSIONS (5e551045000000000000000000000001)");
    expect(result.output).toContain("--dry-run: exiting now.");
    expect(result.output).not.toContain("> npm test");
    expect(result.code).toBe(0);
    console.log(`npm run deploy -- --env staging: ${result.seconds.toFixed(1)} s`);
    expect(result.calls).toEqual([
      `deploy --dry-run --outdir ${resolve("dist")} --env staging --config ${space.toml}`,
      `deploy --env staging --config ${space.toml}`,
    ]);
    expect((JSON.parse(readFileSync(space.state, "utf8")) as { deployed: string[] }).deployed).toEqual([
      "edge-auth-worker-staging",
    ]);
  }, 60_000);

  it("deploys nothing when the build fails", async () => {
    const space = project();
    writeFileSync(space.toml, readFileSync(space.toml, "utf8").replace(/^main = .*$/m, 'main = "missing.ts"'));
    const result = await deploy(space, ["--env", "staging"]);
    expect(result.stderr).toContain("deploy: stopped, `wrangler deploy` failed; nothing was deployed");
    expect(result.code).not.toBe(0);
    expect(result.calls).toHaveLength(1);
    expect(existsSync(space.state)).toBe(false);
  }, 60_000);

  it("under Workers Builds (the Deploy to Cloudflare button), deploys the top level, as npx wrangler deploy would", async () => {
    const space = project();
    expect((await deploy(space, [])).stderr).toContain(
      "name the environment: npm run deploy -- --env staging|production",
    );
    const result = await deploy(space, [], { WORKERS_CI: "1" });
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    expect(result.calls.at(-1)).toBe(`deploy --env= --config ${space.toml}`);
    expect((JSON.parse(readFileSync(space.state, "utf8")) as { deployed: string[] }).deployed).toEqual([
      "edge-auth-worker",
    ]);
  }, 60_000);
});

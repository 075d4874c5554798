import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";

/**
 * `npm run deploy -- --env NAME` from an ordinary laptop: the check, the build (wrangler's real
 * dry run and the bundle budget) and `wrangler deploy`, against the stand-in wrangler
 * (test/support/fake-wrangler.mjs) for the account. No browser, no Python, no Go: the test suite
 * is not part of a deploy unless asked for with --test.
 */
const DEPLOY_SECONDS_LIMIT = 15;

/** This repository's wrangler.toml with staging filled in as setup would, in a directory of its own. */
function project() {
  const dir = mkdtempSync(join(tmpdir(), "deploy-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "wrangler"),
    `#!/bin/sh\nexec "${process.execPath}" "${resolve("test/support/fake-wrangler.mjs")}" "$@"\n`,
  );
  chmodSync(join(bin, "wrangler"), 0o755);
  const toml = readFileSync("wrangler.toml", "utf8");
  const staging = toml.indexOf("[env.staging]");
  const filled =
    toml.slice(0, staging).replace('main = "src/index.ts"', `main = ${JSON.stringify(resolve("src/index.ts"))}`) +
    toml
      .slice(staging)
      .replace('id = "00000000000000000000000000000000"', 'id = "5e551045000000000000000000000001"')
      .replace('OIDC_CLIENT_ID = ""', 'OIDC_CLIENT_ID = "1234-staging.apps.googleusercontent.com"');
  writeFileSync(join(dir, "wrangler.toml"), filled);
  return { dir, bin, toml: join(dir, "wrangler.toml"), state: join(dir, "account.json"), calls: join(dir, "calls") };
}

describe("npm run deploy -- --env NAME", () => {
  it(`checks, builds and deploys in under ${DEPLOY_SECONDS_LIMIT} s with no browser, Python or Go`, async () => {
    const space = project();
    writeFileSync(space.calls, "");
    const { OIDC_CLIENT_SECRET: _secret, SESSION_KEYS: _keys, ...inherited } = process.env;
    const started = performance.now();
    const result = spawnSync(process.execPath, ["scripts/deploy.mjs", "--env", "staging", "--config", space.toml], {
      encoding: "utf8",
      env: {
        ...inherited,
        // The secrets as `wrangler secret list` would show them, so the check has nothing to warn about.
        OIDC_CLIENT_SECRET: "staging-client-secret",
        SESSION_KEYS: JSON.stringify(await generateKeySet()),
        PATH: `${space.bin}${delimiter}${process.env.PATH}`,
        CHROMIUM_PATH: "/nope",
        FAKE_WRANGLER_STATE: space.state,
        FAKE_WRANGLER_CALLS: space.calls,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const output = result.stdout + result.stderr;
    expect(output).toContain("configuration OK");
    // The build: wrangler's dry run, with the bindings it would deploy.
    expect(output).toContain("env.SESSIONS (5e551045000000000000000000000001)");
    expect(output).toContain("--dry-run: exiting now.");
    expect(output).not.toContain("> npm test");
    expect(result.status).toBe(0);
    expect(seconds).toBeLessThan(DEPLOY_SECONDS_LIMIT);
    const calls = readFileSync(space.calls, "utf8")
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { args: string[] }).args.join(" "));
    expect(calls).toEqual([
      `deploy --dry-run --outdir ${resolve("dist")} --env staging --config ${space.toml}`,
      `deploy --env staging --config ${space.toml}`,
    ]);
    expect((JSON.parse(readFileSync(space.state, "utf8")) as { deployed: string[] }).deployed).toEqual([
      "edge-auth-worker-staging",
    ]);
  }, 60_000);

  it("deploys nothing when the build fails", () => {
    const space = project();
    writeFileSync(space.calls, "");
    writeFileSync(space.toml, readFileSync(space.toml, "utf8").replace(/^main = .*$/m, 'main = "missing.ts"'));
    const { OIDC_CLIENT_SECRET: _secret, SESSION_KEYS: _keys, ...inherited } = process.env;
    const result = spawnSync(process.execPath, ["scripts/deploy.mjs", "--env", "staging", "--config", space.toml], {
      encoding: "utf8",
      env: {
        ...inherited,
        PATH: `${space.bin}${delimiter}${process.env.PATH}`,
        FAKE_WRANGLER_STATE: space.state,
        FAKE_WRANGLER_CALLS: space.calls,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
      },
    });
    expect(result.stderr).toContain("deploy: stopped, `wrangler deploy` failed; nothing was deployed");
    expect(result.status).not.toBe(0);
    expect(readFileSync(space.calls, "utf8")).not.toContain('"deploy","--env"');
    expect(existsSync(space.state)).toBe(false);
  }, 60_000);
});

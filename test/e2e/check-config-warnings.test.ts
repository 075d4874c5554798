import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** A warning printed on every run teaches people to skip warnings: the repository's own environments print none. */
function check(...args: string[]) {
  const { OIDC_CLIENT_SECRET: _secret, SESSION_KEYS: _keys, ...env } = process.env;
  const result = spawnSync("node", ["scripts/check-config.mjs", ...args], {
    encoding: "utf8",
    env: { ...env, WRANGLER_SEND_METRICS: "false" },
  });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe("npm run check -- --env NAME: wrangler's own warnings", () => {
  it.each(["staging", "production"])(
    "prints none for this repository's %s",
    (environment) => {
      const { output } = check("--deploy", "--env", environment);
      expect(output).toContain(`checking what \`wrangler deploy --env ${environment}\` would run`);
      expect(output).not.toMatch(/WARNING|exists at the top level/);
    },
    60_000,
  );

  it("still shows a real one: a top-level var an environment does not list", () => {
    const dir = mkdtempSync(join(tmpdir(), "check-warnings-"));
    writeFileSync(
      join(dir, "wrangler.toml"),
      'name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n' +
        '[vars]\nORIGIN_URL = "https://origin.example.com"\nPUBLIC_PATHS = "/healthz"\n' +
        '[env.staging.vars]\nORIGIN_URL = "https://origin.example.com"\n',
    );
    const { output } = check("--config", join(dir, "wrangler.toml"), "--deploy", "--env", "staging");
    expect(output).toContain('"vars.PUBLIC_PATHS" exists at the top level, but not on "env.staging.vars"');
  }, 60_000);
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * Each check's output (stdout then stderr), every check run in one fresh node of its own
 * (test/support/check-in-sequence.mjs): wrangler prints some warnings once per process, so "prints
 * no warning" is only worth something in a process where no check has printed one yet. The checks
 * that must print none come first; each asserts it printed none, so the next starts as fresh as a
 * new process would. One node and one load of wrangler instead of one per check.
 */
function checkInSequence(runs: string[][]) {
  const { OIDC_CLIENT_SECRET: _secret, SESSION_KEYS: _keys, ...env } = process.env;
  const result = spawnSync("node", ["test/support/check-in-sequence.mjs", JSON.stringify(runs)], {
    encoding: "utf8",
    env: { ...env, WRANGLER_SEND_METRICS: "false" },
  });
  const cut = (stream: string) => stream.split(/^=== check \d+ ===\n/m).slice(1);
  const [stdouts, stderrs] = [cut(result.stdout), cut(result.stderr)];
  expect(stdouts, result.stdout + result.stderr).toHaveLength(runs.length);
  return stdouts.map((stdout, index) => stdout + (stderrs[index] ?? ""));
}

/** A warning printed on every run teaches people to skip warnings: the repository's own environments print none. */
describe("npm run check -- --env NAME: wrangler's own warnings", () => {
  const environments = ["staging", "production"];
  let outputs: string[] = [];

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), "check-warnings-"));
    const topLevelOnly = join(dir, "wrangler.toml");
    writeFileSync(
      topLevelOnly,
      'name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n' +
        '[vars]\nORIGIN_URL = "https://origin.example.com"\nPUBLIC_PATHS = "/healthz"\n' +
        '[env.staging.vars]\nORIGIN_URL = "https://origin.example.com"\n',
    );
    outputs = checkInSequence([
      ...environments.map((environment) => ["--deploy", "--env", environment]),
      ["--config", topLevelOnly, "--deploy", "--env", "staging"],
    ]);
  }, 90_000);

  it.each(environments.map((environment, index) => [environment, index] as const))(
    "prints none for this repository's %s",
    (environment, index) => {
      const output = outputs[index];
      expect(output).toContain(`checking what \`wrangler deploy --env ${environment}\` would run`);
      expect(output).not.toMatch(/WARNING|exists at the top level/);
    },
  );

  it("still shows a real one: a top-level var an environment does not list", () => {
    expect(outputs[environments.length]).toContain(
      '"vars.PUBLIC_PATHS" exists at the top level, but not on "env.staging.vars"',
    );
  });
});

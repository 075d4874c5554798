import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../support/stack";

const ROOT = join(__dirname, "../..");

/** A copy of the repository's tracked files (no local .dev.vars, no .demo/), with its packages linked in. */
function repositoryCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "start-config-"));
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  for (const file of listed.stdout.split("\0").filter((path) => path && existsSync(join(ROOT, path)))) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

async function runStart(dir: string): Promise<{ code: number | null; output: string }> {
  const names = [
    "PORT",
    "PROVIDER_PORT",
    "ORIGIN_PORT",
    "DIRECTORY_PORT",
    "WORKLOAD_ISSUER_PORT",
    "PARTNER_PROVIDER_PORT",
  ];
  const ports = await Promise.all(names.map(() => freePort()));
  const child = spawn(process.execPath, ["demo/start.mjs"], {
    cwd: dir,
    env: {
      ...process.env,
      ...Object.fromEntries(names.map((name, index) => [name, String(ports[index])])),
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // A demo that starts in spite of the mistake would run until stopped: stop it, and fail below.
  child.stdout.on("data", () => output.includes("demo is running") && child.kill("SIGTERM"));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

/** The repository's wrangler.toml with one line of its top-level [vars] replaced. */
function editToml(dir: string, from: string, to: string): void {
  const path = join(dir, "wrangler.toml");
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

/**
 * Each start is seconds of CPU (a node, wrangler, two providers): one start per way of failing,
 * each test asserting all that start shows.
 */
describe("npm start with a configuration the worker refuses", () => {
  let dir: string;
  let toml: string;
  beforeAll(() => {
    dir = repositoryCopy();
    toml = readFileSync(join(dir, "wrangler.toml"), "utf8");
  });
  // Each test starts from the copy as it was: the repository's wrangler.toml, no .dev.vars.
  beforeEach(() => {
    writeFileSync(join(dir, "wrangler.toml"), toml);
    rmSync(join(dir, ".dev.vars"), { force: true });
  });

  it("lists the worker's problems and exits non-zero instead of saying the demo is running, and says that .dev.vars is not what the demo runs with", async () => {
    editToml(dir, 'REFRESH_TOKEN_TTL = "2592000"', 'REFRESH_TOKEN_TTL = "30d"');
    editToml(dir, 'REVOCATION_CHECK = "false"', 'REVOCATION_CHECK = "yes"');
    writeFileSync(join(dir, ".dev.vars"), "OIDC_CLIENT_SECRET=from-dev-vars\n");
    const { code, output } = await runStart(dir);
    expect(output).not.toContain("demo is running");
    expect(output).toContain("the worker would refuse to serve");
    expect(output).toContain('REFRESH_TOKEN_TTL: "30d" is not a number of seconds');
    expect(output).toContain('REVOCATION_CHECK: must be one of "true", "false"');
    expect(output).toMatch(/wrangler\.toml/);
    expect(code).toBe(1);
    expect(output).toContain(".dev.vars is not read by the demo");
    expect(output).toContain("npm run dev");
    expect(output).not.toContain("from-dev-vars");
  }, 90_000);

  it("names the line of a wrangler.toml that does not parse", async () => {
    editToml(dir, 'REFRESH_TOKEN_TTL = "2592000"', 'REFRESH_TOKEN_TTL = "2592000');
    const { code, output } = await runStart(dir);
    expect(output).not.toContain("demo is running");
    expect(output).toMatch(/wrangler\.toml line \d+, column \d+: not valid TOML/);
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(code).toBe(1);
  }, 90_000);
});

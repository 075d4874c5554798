#!/usr/bin/env node
// `npm test`: first what the tests need besides Node (test-setup.mjs), then the static checks
// (the generated types against wrangler.toml, the type check, prettier and eslint) side by side
// with the three vitest projects. The tests spend much of their time waiting (on workerd, on
// servers, on the browser): the checks, run at a lower priority, fill that time instead of adding
// theirs in front, and never slow a test down. Arguments go to vitest (`npm test -- test/unit`).
// The checks' output is printed when they end; the exit code is the first failure's, else 0.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { prepareTestTools } from "./test-setup.mjs";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
/** Niced where `nice` exists: the checks take what the tests leave idle. */
const lowPriority = (command, args) => (process.platform === "win32" ? [command, args] : ["nice", [command, ...args]]);

/** Runs a command to its end: its exit code, and its output when `quiet` (else it goes to ours). */
function run([command, args], { quiet = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit", env });
    let output = "";
    if (quiet) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
    child.on("error", (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

/**
 * The static checks, in two lanes side by side (each lane is one process at a time: two fill both
 * cores when the tests wait): the generated types against wrangler.toml, then the type check and
 * eslint over programs built once (static-checks.mjs); and prettier. What `npm run typecheck` and
 * `npm run lint` check. Each that fails, with its output.
 */
async function staticChecks() {
  const started = Date.now();
  const lanes = [
    [
      ["`npm run types:check`", [npm, ["run", "--silent", "types:check"]]],
      ["the type check and eslint", [process.execPath, ["scripts/static-checks.mjs"]]],
    ],
    [["`prettier --check .`", [process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--check", "."]]]],
  ];
  const results = await Promise.all(
    lanes.map(async (lane) => {
      const failed = [];
      for (const [name, command] of lane) {
        const result = await run(lowPriority(...command), { quiet: true });
        if (result.code !== 0) failed.push({ name, ...result });
      }
      return failed;
    }),
  );
  return { failures: results.flat(), seconds: Math.round((Date.now() - started) / 1000) };
}

/**
 * A directory in memory for the tests' temporary files, where Linux has one (/dev/shm) and TMPDIR
 * names no place of the user's: Miniflare keeps the unit tests' KV and Durable Objects there
 * (SQLite, which syncs every write to the disk), and the e2e tests their copies of the
 * repository. On a 2-core machine with a virtual disk it took the workerd project from 55 to 41 s.
 * Removed when the tests end, or are interrupted.
 */
function memoryTmpdir() {
  if (process.env.TMPDIR || process.platform !== "linux") return undefined;
  try {
    return mkdtempSync("/dev/shm/edge-auth-worker-tests-");
  } catch {
    return undefined;
  }
}

if (!prepareTestTools()) process.exit(1);
const tmpdir = memoryTmpdir();
const removeTmpdir = () => tmpdir && rmSync(tmpdir, { recursive: true, force: true });
for (const signal of ["SIGINT", "SIGTERM"])
  process.once(signal, () => {
    removeTmpdir();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
const [checks, tests] = await Promise.all([
  staticChecks(),
  run([process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...process.argv.slice(2)]], {
    env: tmpdir ? { ...process.env, TMPDIR: tmpdir } : process.env,
  }),
]).finally(removeTmpdir);
if (checks.failures.length === 0)
  console.log(`\nnpm test: type check and lint passed (${checks.seconds} s, beside the tests)`);
for (const { name, output } of checks.failures) console.error(`\nnpm test: ${name} failed:\n${output.trimEnd()}`);
process.exitCode = checks.failures[0]?.code || tests.code;

#!/usr/bin/env node
// `npm run deploy -- --env NAME [--test] [wrangler deploy flags]`: check that environment's
// configuration (`npm run check -- --deploy --env NAME`), build it (`wrangler deploy --dry-run`
// into dist/: the bundle and the bindings, nothing uploaded), then `wrangler deploy --env NAME`
// with the flags given (e.g. --dry-run). Seconds, with nothing but Node: the test suite is CI's
// and `npm test`'s (it needs a browser, Python and Go); `--test` runs it first all the same. The
// project's bundle budget is `npm run size`'s, not a deployer's to meet. Each step runs only if
// the one before it passed. With environments in wrangler.toml, --env is required: deploying the
// top level (the local default) by mistake would publish a Worker nobody configured; `--env ""`
// names the top level on purpose. The check runs in this process (no second node, and wrangler's
// configuration code loaded once); the other steps are commands of their own.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tables } from "./lib/toml-lines.mjs";

/** The project's own wrangler, after any on PATH (`npm run` puts it first; a test, a stand-in). */
const PROJECT_BIN = fileURLToPath(new URL("../node_modules/.bin", import.meta.url));
/** The check's step, `node scripts/check-config.mjs ARGS`: what an operator would type for it. */
const CHECK_SCRIPT = "scripts/check-config.mjs";

/**
 * The commands `npm run deploy` runs for these arguments, in order, or the reason it refuses.
 * The build goes to `outdir` (wrangler reads a relative one from the config file's directory).
 */
export function deployPlan(argv, environments, outdir = "dist") {
  const at = argv.findIndex((arg) => arg === "--env" || arg === "-e" || arg.startsWith("--env="));
  const environment =
    at < 0 ? undefined : argv[at].startsWith("--env=") ? argv[at].slice("--env=".length) : argv[at + 1];
  const rest = (at < 0 ? argv : argv.filter((_, i) => i !== at && (argv[at].startsWith("--env=") || i !== at + 1)))
    // --test is ours, not wrangler's.
    .filter((arg) => arg !== "--test");
  if (environment === undefined && environments.length > 0) {
    return {
      error: `name the environment: npm run deploy -- --env ${environments.join("|")} (or --env "" for the top level)`,
    };
  }
  if (environment && !environments.includes(environment))
    return {
      error: `--env ${environment}: wrangler.toml has no [env.${environment}] (environments: ${environments.join(", ") || "none"})`,
    };
  const envFlag = environment ? ["--env", environment] : environment === "" ? ["--env="] : [];
  const configAt = rest.indexOf("--config");
  const configFlag = configAt >= 0 ? ["--config", rest[configAt + 1]] : [];
  return {
    steps: [
      ["node", [CHECK_SCRIPT, "--deploy", ...configFlag, ...(environment ? ["--env", environment] : [])]],
      ...(argv.includes("--test") ? [["npm", ["test"]]] : []),
      ["wrangler", ["deploy", "--dry-run", "--outdir", outdir, ...envFlag, ...configFlag]],
      ["wrangler", ["deploy", ...envFlag, ...rest]],
    ],
  };
}

/** The environments ([env.NAME]) of a wrangler.toml, read from its table headers: no TOML parser to load. */
function environmentsOf(configPath) {
  const names = tables(readFileSync(configPath, "utf8").split("\n")).map(
    (table) => /^env\.("?)([^".]+)\1(\.|$)/.exec(table.name)?.[2],
  );
  return [...new Set(names.filter(Boolean))];
}

/**
 * `npm run deploy` with these arguments: its exit code; a failure is printed, never thrown. The
 * steps' commands read and write the process's own stdin, stdout and stderr (wrangler's prompts
 * need its terminal), or, for each stream given here that is not the process's, no input or
 * their output forwarded to it (the tests run deploy in their process and read what it printed).
 */
export async function main(argv, { stdin = process.stdin, stdout = process.stdout, stderr = process.stderr } = {}) {
  try {
    return await deploy(argv, { stdin, stdout, stderr });
  } catch (error) {
    console.error(`deploy: ${error.message}`);
    return 2;
  }
}

async function deploy(argv, io) {
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const configAt = argv.indexOf("--config");
  const environments = environmentsOf(configAt >= 0 ? argv[configAt + 1] : "wrangler.toml");
  // Workers Builds (what the Deploy to Cloudflare button sets up) runs the deploy script with no
  // flags, and deploys what its own default, `npx wrangler deploy`, would: the top level.
  const named = argv.some((arg) => arg === "--env" || arg === "-e" || arg.startsWith("--env="));
  const plan = deployPlan(
    process.env.WORKERS_CI === "1" && !named ? ["--env=", ...argv] : argv,
    environments,
    resolve("dist"),
  );
  if (plan.error) {
    console.error(`deploy: ${plan.error}`);
    return 1;
  }
  const env = { ...process.env, PATH: `${process.env.PATH ?? ""}${delimiter}${PROJECT_BIN}` };
  for (const [command, args] of plan.steps) {
    console.log(
      `\n> ${command} ${args.map((arg) => (/^[\w./=:-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ")}`,
    );
    const { status, error } =
      command === "node" && args[0] === CHECK_SCRIPT
        ? { status: await checkInThisProcess(args.slice(1)) }
        : await runCommand(command, args, env, io);
    if (status !== 0) {
      const why = error ? ` (${error.message})` : "";
      console.error(`deploy: stopped, \`${command} ${args[0]}\` failed${why}; nothing was deployed`);
      return status ?? 1;
    }
  }
  return 0;
}

/** The check's exit code, `npm run check ARGS` in this process. Loaded only for a deploy that gets this far. */
async function checkInThisProcess(args) {
  const { runCheckCommand } = await import("./check-config.mjs");
  return runCheckCommand(args);
}

/** Runs `command args` to its end: `{ status }`, or `{ status: null, error }` when it cannot start. */
function runCommand(command, args, env, io) {
  const own = (stream, processStream, given) => (stream === processStream ? "inherit" : given);
  const stdio = [
    own(io.stdin, process.stdin, "ignore"),
    own(io.stdout, process.stdout, "pipe"),
    own(io.stderr, process.stderr, "pipe"),
  ];
  return new Promise((done) => {
    const child = spawn(command, args, { stdio, env });
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
    child.once("error", (error) => done({ status: null, error }));
    child.once("close", (status) => done({ status }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

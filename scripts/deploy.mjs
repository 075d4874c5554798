#!/usr/bin/env node
// `npm run deploy -- --env NAME [--test] [wrangler deploy flags]`: check that environment's
// configuration (`npm run check -- --deploy --env NAME`), build it (`wrangler deploy --dry-run`
// into dist/: the bundle and the bindings, nothing uploaded), then `wrangler deploy --env NAME`
// with the flags given (e.g. --dry-run). Seconds, with nothing but Node: the test suite is CI's
// and `npm test`'s (it needs a browser, Python and Go); `--test` runs it first all the same. The
// project's bundle budget is `npm run size`'s, not a deployer's to meet. Each step runs only if
// the one before it passed. With environments in wrangler.toml, --env is required: deploying the
// top level (the local default) by mistake would publish a Worker nobody configured; `--env ""`
// names the top level on purpose.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tables } from "./lib/toml-lines.mjs";

/** The project's own wrangler, after any on PATH (`npm run` puts it first; a test, a stand-in). */
const PROJECT_BIN = fileURLToPath(new URL("../node_modules/.bin", import.meta.url));

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
      ["node", ["scripts/check-config.mjs", "--deploy", ...configFlag, ...(environment ? ["--env", environment] : [])]],
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

async function main(argv) {
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
    const { status, error } = spawnSync(command, args, { stdio: "inherit", env });
    if (status !== 0) {
      const why = error ? ` (${error.message})` : "";
      console.error(`deploy: stopped, \`${command} ${args[0]}\` failed${why}; nothing was deployed`);
      return status ?? 1;
    }
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`deploy: ${error.message}`);
      process.exitCode = 2;
    },
  );
}

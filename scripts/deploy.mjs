#!/usr/bin/env node
// `npm run deploy -- --env NAME [wrangler deploy flags]`: check that environment's configuration
// (`npm run check -- --deploy --env NAME`), run the whole test suite, then
// `wrangler deploy --env NAME` with the flags given (e.g. --dry-run). Each step runs only if the
// one before it passed. With environments in wrangler.toml, --env is required: deploying the top
// level (the local default) by mistake would publish a Worker nobody configured; `--env ""`
// names the top level on purpose.
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

/** The commands `npm run deploy` runs for these arguments, in order, or the reason it refuses. */
export function deployPlan(argv, environments) {
  const at = argv.findIndex((arg) => arg === "--env" || arg === "-e" || arg.startsWith("--env="));
  const environment =
    at < 0 ? undefined : argv[at].startsWith("--env=") ? argv[at].slice("--env=".length) : argv[at + 1];
  const rest = at < 0 ? argv : argv.filter((_, i) => i !== at && (argv[at].startsWith("--env=") || i !== at + 1));
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
      ["npm", ["test"]],
      ["npx", ["wrangler", "deploy", ...envFlag, ...rest]],
    ],
  };
}

async function main(argv) {
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const { experimental_readRawConfig } = await import("wrangler");
  const configAt = argv.indexOf("--config");
  const { rawConfig } = experimental_readRawConfig({ config: configAt >= 0 ? argv[configAt + 1] : "wrangler.toml" });
  const plan = deployPlan(argv, Object.keys(rawConfig.env ?? {}));
  if (plan.error) {
    console.error(`deploy: ${plan.error}`);
    return 1;
  }
  for (const [command, args] of plan.steps) {
    console.log(
      `\n> ${command} ${args.map((arg) => (/^[\w./=:-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ")}`,
    );
    const { status } = spawnSync(command, args, { stdio: "inherit" });
    if (status !== 0) {
      console.error(`deploy: stopped, \`${command} ${args[0]}\` failed; nothing was deployed`);
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

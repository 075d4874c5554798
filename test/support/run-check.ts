import { runCheckCommand } from "../../scripts/check-config.mjs";

/** Names of this shell that would change what the check reports: a secret, or wrangler reading the environment. */
const SHELL_ONLY = [
  "OIDC_CLIENT_SECRET",
  "SESSION_KEYS",
  "CLOUDFLARE_INCLUDE_PROCESS_ENV",
  "CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV",
];

/**
 * `npm run check` (scripts/check-config.mjs) on a wrangler.toml of the test's own, as an operator
 * runs it: none of this shell's secrets or wrangler settings leak in, so what it reports comes
 * from the files alone (and `extraEnv`). Run in this process, so that wrangler's configuration
 * code (seconds of CPU to load) is loaded once per test file, not once per check; the output is
 * what the command prints, stdout then stderr, wrangler's own lines included, as a terminal
 * would show it. Checks run one at a time: the environment and the console are the process's.
 */
export async function runCheck(configPath: string, flags: string[] = [], extraEnv: Record<string, string> = {}) {
  const savedEnv = { ...process.env };
  const savedConsole = {
    log: console.log,
    info: console.info,
    debug: console.debug,
    warn: console.warn,
    error: console.error,
  };
  const stdout: string[] = [];
  const stderr: string[] = [];
  const print =
    (lines: string[]) =>
    (...args: unknown[]) =>
      lines.push(args.map(String).join(" "));
  for (const name of SHELL_ONLY) delete process.env[name];
  Object.assign(process.env, { WRANGLER_SEND_METRICS: "false" }, extraEnv);
  Object.assign(console, {
    log: print(stdout),
    info: print(stdout),
    debug: print(stdout),
    warn: print(stderr),
    error: print(stderr),
  });
  let code: number;
  try {
    code = await runCheckCommand(["--config", configPath, ...flags]);
  } catch (error) {
    stderr.push(`check: ${(error as Error).message}`);
    code = 2;
  } finally {
    Object.assign(console, savedConsole);
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
  const text = (lines: string[]) => lines.map((line) => `${line}\n`).join("");
  return { code, output: text(stdout) + text(stderr) };
}

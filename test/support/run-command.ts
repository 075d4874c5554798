import { Readable, Writable } from "node:stream";
import { format } from "node:util";
import { runCheckCommand } from "../../scripts/check-config.mjs";

/** What a command reads and writes besides its arguments, its environment and its files. */
export interface CommandIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
}

/**
 * A command of scripts/ as its module exports it (`setup`, `main`, ...): what `node scripts/x.mjs
 * ARGV` runs, resolving with the exit code its entry point sets.
 */
export type Command = (argv: string[], io: CommandIo) => Promise<number>;

/**
 * Names of this shell that would change what a command does: a secret, a Cloudflare account,
 * wrangler reading the environment, Workers Builds. A test that wants one gives it in `env`.
 */
const SHELL_ONLY = [
  "OIDC_CLIENT_SECRET",
  "SESSION_KEYS",
  "KEY_WRAPPING_SECRET",
  "CLOUDFLARE_ACCOUNT_ID",
  "CLOUDFLARE_API_TOKEN",
  "CLOUDFLARE_INCLUDE_PROCESS_ENV",
  "CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV",
  "WORKERS_CI",
];

export interface RunOptions {
  /** Set for the run, over this process's environment without SHELL_ONLY's names. */
  env?: Record<string, string>;
  /** The working directory of the run (default: this process's, the repository). */
  cwd?: string;
  /** Everything the command's stdin holds, as piped to it (not a terminal). Default: nothing. */
  stdin?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout, then stderr: what a terminal would show, give or take the interleaving. */
  output: string;
}

/** Whether a command is running: the environment, the working directory and the console are the process's. */
let running = false;

/**
 * Runs a command in this process, as an operator runs it from a shell, so that what it loads
 * (wrangler's configuration code is seconds of CPU) is loaded once per test process, not once per
 * run. For the run, and only for it: the environment (none of this shell's secrets or Cloudflare
 * settings, plus `env`), the working directory, and the console, whose lines are captured with
 * what the command writes to `io`, wrangler's own lines included. The commands it starts (the
 * stand-in wrangler) are processes of their own, which inherit that environment and directory.
 * Runs one at a time.
 */
export async function runCommand(
  command: Command,
  argv: string[],
  { env = {}, cwd, stdin = "" }: RunOptions = {},
): Promise<CommandResult> {
  if (running) throw new Error("runCommand: a command is already running in this process; await it first");
  running = true;
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const savedConsole = {
    log: console.log,
    info: console.info,
    debug: console.debug,
    warn: console.warn,
    error: console.error,
  };
  const captured = { stdout: "", stderr: "" };
  const sink = (name: keyof typeof captured) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        captured[name] += String(chunk);
        done();
      },
    });
  const io: CommandIo = {
    stdin: Readable.from(stdin === "" ? [] : [stdin]),
    stdout: sink("stdout"),
    stderr: sink("stderr"),
  };
  const print =
    (name: keyof typeof captured) =>
    (...args: unknown[]) =>
      (captured[name] += `${format(...args)}\n`);
  try {
    for (const name of SHELL_ONLY) delete process.env[name];
    Object.assign(process.env, { WRANGLER_SEND_METRICS: "false" }, env);
    if (cwd) process.chdir(cwd);
    Object.assign(console, {
      log: print("stdout"),
      info: print("stdout"),
      debug: print("stdout"),
      warn: print("stderr"),
      error: print("stderr"),
    });
    const code = await command(argv, io);
    return { code, ...captured, output: captured.stdout + captured.stderr };
  } finally {
    Object.assign(console, savedConsole);
    process.chdir(savedCwd);
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    running = false;
  }
}

/**
 * `npm run check` (scripts/check-config.mjs) on a wrangler.toml of the test's own: what it prints
 * (stdout then stderr) and its exit code.
 */
export async function runCheck(configPath: string, flags: string[] = [], extraEnv: Record<string, string> = {}) {
  const { code, output } = await runCommand((argv) => runCheckCommand(argv), ["--config", configPath, ...flags], {
    env: extraEnv,
  });
  return { code, output };
}

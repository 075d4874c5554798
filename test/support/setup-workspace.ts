import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { setup } from "../../scripts/setup.mjs";
import { runCommand } from "./run-command";
import { loadWrangler } from "../../scripts/lib/wrangler.mjs";

// `npm run setup` in a temporary directory, against the stand-in `wrangler`
// (test/support/fake-wrangler.mjs: wrangler 4.86's output, a JSON file for the Cloudflare account).

/** `dir`/bin holding a `wrangler` that is the stand-in: put it first on PATH. Returns that bin. */
export function standInWrangler(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "wrangler"),
    `#!/bin/sh\nexec "${process.execPath}" "${resolve("test/support/fake-wrangler.mjs")}" "$@"\n`,
  );
  chmodSync(join(bin, "wrangler"), 0o755);
  return bin;
}

/** The environment of a command run against the stand-in: first on PATH, with its account (a JSON file) and its log. */
export function standInEnv(bin: string, files: { state: string; calls: string }): Record<string, string> {
  return {
    PATH: `${bin}${delimiter}${process.env.PATH}`,
    FAKE_WRANGLER_STATE: files.state,
    FAKE_WRANGLER_CALLS: files.calls,
  };
}

/** The stand-in's log: one entry per `wrangler` call, its arguments and the size of its stdin. */
export function standInCalls(path: string): { args: string[]; stdinBytes: number }[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { args: string[]; stdinBytes: number });
}

export interface Account {
  namespaces: { id: string; title: string }[];
  workers: Record<string, { secrets: Record<string, string> }>;
}

/** A temporary directory with `toml` (a copy of `tomlText`), the stand-in on PATH and its account. */
export function workspace(tomlText: string) {
  const dir = mkdtempSync(join(tmpdir(), "setup-"));
  const bin = standInWrangler(dir);
  writeFileSync(join(dir, "wrangler.toml"), tomlText);
  const paths = { toml: join(dir, "wrangler.toml"), state: join(dir, "account.json"), calls: join(dir, "calls.jsonl") };
  type RunOptions = { input?: string; env?: Record<string, string> };
  const standIn = (env: Record<string, string>) => ({ ...env, ...standInEnv(bin, paths) });
  return {
    ...paths,
    /** `npm run setup -- --config TOML ARGS`, run in this process (test/support/run-command.ts). */
    async run(args: string[], { input = "", env = {} }: RunOptions = {}) {
      writeFileSync(paths.calls, "");
      const { code, output } = await runCommand(setup, ["--config", paths.toml, ...args], {
        stdin: input,
        env: standIn(env),
      });
      return { code, output, calls: standInCalls(paths.calls) };
    },
    /** The same as a process of its own, `node scripts/setup.mjs`: its entry point, exit status and real stdin. */
    spawn(args: string[], { input = "", env = {} }: RunOptions = {}) {
      writeFileSync(paths.calls, "");
      const {
        OIDC_CLIENT_SECRET: _secret,
        SESSION_KEYS: _keys,
        CLOUDFLARE_ACCOUNT_ID: _account,
        ...inherited
      } = process.env;
      const result = spawnSync(process.execPath, ["scripts/setup.mjs", "--config", paths.toml, ...args], {
        encoding: "utf8",
        input,
        env: { ...inherited, ...standIn(env), WRANGLER_SEND_METRICS: "false" },
      });
      return { code: result.status, output: result.stdout + result.stderr, calls: standInCalls(paths.calls) };
    },
    account: (): Account => JSON.parse(readFileSync(paths.state, "utf8")),
    /** Every file of the workspace but the call log, byte for byte. */
    files: () =>
      Object.fromEntries(
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile() && join(entry.parentPath, entry.name) !== paths.calls)
          .map((entry) => [join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name))]),
      ),
    text: () => readFileSync(paths.toml, "utf8"),
  };
}

export interface Environment {
  vars: Record<string, string>;
  kv_namespaces: { binding: string; id: string }[];
  routes?: unknown;
  services?: { binding: string; service: string }[];
}

/** [env.NAME] of the file as wrangler reads it. */
export async function environment(path: string, name: string): Promise<Environment> {
  const { experimental_readRawConfig } = loadWrangler();
  const found = (
    experimental_readRawConfig({ config: path }).rawConfig.env as Record<string, Environment> | undefined
  )?.[name];
  if (!found) throw new Error(`${path} has no [env.${name}]`);
  return found;
}

/** The secrets the stand-in account holds for a Worker. */
export function secretsOf(account: Account, worker: string): Record<string, string> {
  const found = account.workers[worker];
  if (!found) throw new Error(`no Worker ${worker} in the account`);
  return found.secrets;
}

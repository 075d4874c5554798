import { spawnSync } from "node:child_process";

/**
 * `npm run check` (scripts/check-config.mjs) on a wrangler.toml of the test's own, as an operator
 * runs it: none of this shell's secrets or wrangler settings leak in, so what it reports comes
 * from the files alone (and `extraEnv`).
 */
export function runCheck(configPath: string, flags: string[] = [], extraEnv: Record<string, string> = {}) {
  const {
    OIDC_CLIENT_SECRET: _secret,
    SESSION_KEYS: _keys,
    CLOUDFLARE_INCLUDE_PROCESS_ENV: _include,
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: _load,
    ...env
  } = process.env;
  const result = spawnSync("node", ["scripts/check-config.mjs", "--config", configPath, ...flags], {
    encoding: "utf8",
    env: { ...env, WRANGLER_SEND_METRICS: "false", ...extraEnv },
  });
  return { code: result.status, output: result.stdout + result.stderr };
}

// Where each value the check sees was written: a table of wrangler.toml, or the local file
// (.dev.vars, .dev.vars.NAME, .env ...) that `wrangler dev` reads over it, chosen as wrangler
// 4.86 chooses it (getVarsForDev: .dev.vars.NAME, else .dev.vars, else the .env files).
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseEnv } from "node:util";
import { keysOf, tables } from "../lib/toml-lines.mjs";

/**
 * A value's source: `label` for messages ("wrangler.toml [env.staging.vars]", ".dev.vars"),
 * `file`, and `line`, the 1-based line of the file where the value's text starts.
 */
function tomlSources(configPath, environment) {
  const table = environment ? `env.${environment}.vars` : "vars";
  const label = `${basename(configPath)} [${table}]`;
  const lines = readFileSync(configPath, "utf8").split("\n");
  const found = tables(lines).find((entry) => !entry.array && entry.name.replace(/"/g, "") === table);
  const sources = new Map();
  for (const { key, start } of found ? keysOf(lines, found) : []) {
    // A ''' or """ string that opens its line: TOML drops the newline right after the quotes.
    const opensBlock = /=\s*('''|""")\s*$/.test(lines[start]);
    sources.set(key, { label, file: configPath, line: start + 1 + (opensBlock ? 1 : 0) });
  }
  return sources;
}

function dotEnvFiles(dir, environment) {
  const devVars = [...(environment ? [`.dev.vars.${environment}`] : []), ".dev.vars"].find((name) =>
    existsSync(join(dir, name)),
  );
  if (devVars) return [devVars];
  if (process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV === "false") return [];
  const candidates = [
    ".env",
    ".env.local",
    ...(environment ? [`.env.${environment}`, `.env.${environment}.local`] : []),
  ];
  return candidates.filter((name) => existsSync(join(dir, name)));
}

/** The local files' values' sources; a later .env file overrides an earlier one, as in wrangler. */
function localSources(configPath, environment) {
  const dir = dirname(configPath);
  const sources = new Map();
  for (const name of dotEnvFiles(dir, environment)) {
    const text = readFileSync(join(dir, name), "utf8");
    const lines = text.split("\n");
    for (const key of Object.keys(parseEnv(text))) {
      const at = lines.findIndex((line) => new RegExp(`^\\s*(export\\s+)?${key}\\s*=`).test(line));
      // A quoted value that opens its line starts on the key's line.
      sources.set(key, { label: name, file: join(dir, name), line: at + 1 });
    }
  }
  return sources;
}

/**
 * Every name the checked configuration sets, with where it was set: with `deploy`, the vars
 * table alone (local files are never uploaded); else the local file's names over the table's.
 */
export function valueSources(configPath, environment, deploy) {
  const sources = tomlSources(configPath, environment);
  if (!deploy) for (const [key, source] of localSources(configPath, environment)) sources.set(key, source);
  return sources;
}

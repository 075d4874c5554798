// One environment of wrangler.toml ([env.NAME] and its [[env.NAME.*]] tables), edited in place.
import { contentEnd, keysOf, removeTable, setKey, tables, tomlString } from "../lib/toml-lines.mjs";

export const PLACEHOLDER_KV_ID = "00000000000000000000000000000000";

const quoted = (text) => text.replace(/"/g, "");
const tablesOf = (lines, env) =>
  tables(lines).filter((table) => quoted(table.name) === `env.${env}` || quoted(table.name).startsWith(`env.${env}.`));
const tableNamed = (lines, name) => tables(lines).find((table) => !table.array && quoted(table.name) === name);
const valueOf = (lines, table, key) => {
  const entry = keysOf(lines, table).find((found) => found.key === key);
  return (
    entry &&
    lines[entry.start]
      .replace(/^[^=]*=\s*/, "")
      .replace(/\s+#.*$/, "")
      .replace(/^"(.*)"$/, "$1")
  );
};

/**
 * The lines of a new environment: everything the worker needs, since wrangler inherits no var
 * and no binding into an environment. Vars start as the top level's (`topVars`, already TOML).
 */
function newEnvironment(env, topVars, rateLimitNamespaceId) {
  const dataset = `edge_auth_decisions_${env.replace(/[^A-Za-z0-9_]/g, "_")}`;
  return [
    "",
    `# ${env}: written by \`npm run setup -- --env ${env}\`. Like the environments above, it lists every var`,
    "# and binding it needs (wrangler inherits none of them from the top level).",
    `[env.${env}]`,
    "",
    `[[env.${env}.kv_namespaces]]`,
    'binding = "SESSIONS"',
    `id = "${PLACEHOLDER_KV_ID}"`,
    "",
    `[[env.${env}.durable_objects.bindings]]`,
    'name = "SESSION_FAMILIES"',
    'class_name = "SessionFamilies"',
    "",
    `[[env.${env}.ratelimits]]`,
    'name = "AUTH_RATE_LIMIT"',
    `namespace_id = "${rateLimitNamespaceId}"`,
    "simple = { limit = 60, period = 10 }",
    "",
    `[[env.${env}.analytics_engine_datasets]]`,
    'binding = "AUTH_METRICS"',
    `dataset = "${dataset}"`,
    "",
    `[env.${env}.vars]`,
    ...Object.entries(topVars).map(([key, value]) => `${key} = ${value}`),
  ];
}

/** The next free rate-limit namespace id: each environment counts on its own. */
function nextRateLimitId(lines) {
  const ids = tables(lines)
    .filter((table) => quoted(table.name).endsWith("ratelimits"))
    .map((table) => Number(valueOf(lines, table, "namespace_id")))
    .filter(Number.isInteger);
  return ids.length > 0 ? Math.max(...ids) + 1 : 1001;
}

/** Adds [env.NAME] (with its bindings and the top level's vars) when the file has none; true if it did. */
export function ensureEnvironment(lines, env) {
  if (tablesOf(lines, env).length > 0) {
    // [env.NAME.vars] alone defines env.NAME implicitly; give it a table of its own for routes.
    if (!tableNamed(lines, `env.${env}`)) lines.splice(tablesOf(lines, env)[0].start, 0, `[env.${env}]`, "");
    return false;
  }
  const top = tableNamed(lines, "vars");
  const topVars = Object.fromEntries(
    (top ? keysOf(lines, top) : []).map(({ key, start, end }) => [
      key,
      lines
        .slice(start, end)
        .join("\n")
        .replace(/^[^=]*=\s*/, ""),
    ]),
  );
  while (lines.length > 0 && lines.at(-1).trim() === "") lines.pop();
  lines.push(...newEnvironment(env, topVars, nextRateLimitId(lines)), "");
  return true;
}

/** Sets keys of [env.NAME] itself (routes, workers_dev). */
export function setEnvironmentKey(lines, env, key, value) {
  setKey(lines, tableNamed(lines, `env.${env}`), key, value);
}

/** Sets vars of [env.NAME.vars] (plain strings), adding the table after the environment's last one if missing. */
export function setVars(lines, env, vars) {
  if (!tableNamed(lines, `env.${env}.vars`)) {
    const last = tablesOf(lines, env).at(-1);
    lines.splice(contentEnd(lines, last), 0, "", `[env.${env}.vars]`);
  }
  for (const [key, value] of Object.entries(vars))
    setKey(lines, tableNamed(lines, `env.${env}.vars`), key, tomlString(value));
}

/** Sets one var of [env.NAME.vars] to `value`, already TOML (a multi-line string, say). */
export function setRawVar(lines, env, key, value) {
  setVars(lines, env, {});
  setKey(lines, tableNamed(lines, `env.${env}.vars`), key, value);
}

/** The environment's var as written, or undefined. */
export function readVar(lines, env, key) {
  const table = tableNamed(lines, `env.${env}.vars`);
  return table && valueOf(lines, table, key);
}

/** The [[env.NAME.<kind>]] entry whose `field` is `value`. */
function entry(lines, env, kind, field, value) {
  return tables(lines).find(
    (table) => table.array && quoted(table.name) === `env.${env}.${kind}` && valueOf(lines, table, field) === value,
  );
}

/** Writes the SESSIONS namespace id, adding the binding when the environment has none. */
export function setSessionsId(lines, env, id) {
  const table = entry(lines, env, "kv_namespaces", "binding", "SESSIONS");
  if (table) return setKey(lines, table, "id", tomlString(id));
  const at = contentEnd(lines, tableNamed(lines, `env.${env}`));
  lines.splice(at, 0, "", `[[env.${env}.kv_namespaces]]`, 'binding = "SESSIONS"', `id = ${tomlString(id)}`);
}

/** The ORIGIN service binding: set to `service`, or removed (undefined) when the origin is a URL. */
export function setOriginService(lines, env, service) {
  const table = entry(lines, env, "services", "binding", "ORIGIN");
  if (table && service === undefined) return removeTable(lines, table);
  if (table) return setKey(lines, table, "service", tomlString(service));
  if (service === undefined) return;
  const at = contentEnd(lines, tableNamed(lines, `env.${env}`));
  lines.splice(
    at,
    0,
    "",
    `[[env.${env}.services]]`,
    "# The origin Worker, reached only through this binding.",
    'binding = "ORIGIN"',
    `service = ${tomlString(service)}`,
  );
}

/** The SESSIONS namespace id written for the environment, or undefined. */
export function readSessionsId(lines, env) {
  const table = entry(lines, env, "kv_namespaces", "binding", "SESSIONS");
  return table && valueOf(lines, table, "id");
}

/** The service of the environment's ORIGIN binding, or undefined. */
export function readOriginService(lines, env) {
  const table = entry(lines, env, "services", "binding", "ORIGIN");
  return table && valueOf(lines, table, "service");
}

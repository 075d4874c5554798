#!/usr/bin/env node
// `npm run check`: validates a configuration with the worker's own parser
// (src/config/parse-config.ts, bundled on the fly), and lists every problem with what to do.
//   npm run check               what `wrangler dev` would run: wrangler.toml [vars] (or --config
//                               FILE; [env.NAME.vars] with --env NAME) with `.dev.vars`
//                               (`.dev.vars.NAME`; without one, `.env` files) over them, merged by
//                               wrangler's own code, exactly as `wrangler dev` merges them.
//   npm run check -- --deploy   what `wrangler deploy` would run: [vars] only (`.dev.vars` is never
//                               uploaded). Secrets live at Cloudflare, out of reach: one given in
//                               the environment is checked, a missing one is only a warning
//                               (check `wrangler secret list`).
//   --env NAME                  that environment: [env.NAME] alone, since wrangler inherits no var
//                               and no binding into it. A NAME wrangler.toml does not define is an
//                               error (wrangler would silently fall back to the top level).
//   --secret-names A,B          the names `wrangler secret list` shows: each is checked like a var's.
//   --discover                  also fetch each OpenID provider's discovery document (the network).
// Every name the worker does not read is reported (a near miss of a known name is an error), and a
// JSON value or a wrangler.toml that does not parse is reported with its line and column.
import { build } from "esbuild";
import { capacityLine } from "./capacity.mjs";
import { basename } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describeJsonError, JSON_NAMES } from "./check/json-position.mjs";
import { valueSources } from "./check/sources.mjs";
import { loadWrangler } from "./lib/wrangler.mjs";

const SECRETS = ["OIDC_CLIENT_SECRET", "SESSION_KEYS"];
/** With KEY_ROTATION = "auto" the worker needs KEY_WRAPPING_SECRET instead of SESSION_KEYS (then optional). */
const autoKeys = (vars) =>
  String(vars.KEY_ROTATION ?? "")
    .trim()
    .toLowerCase() === "auto";
/** The secrets this configuration needs: its client secrets (clientSecretNames), and its keys' secret. */
const secretsFor = (vars) => [...clientSecretNames(vars), autoKeys(vars) ? "KEY_WRAPPING_SECRET" : "SESSION_KEYS"];
const PLACEHOLDER_KV_ID = /^0+$/;

const HINTS = {
  ORIGIN_URL: "set ORIGIN_URL in {where} to your origin's base URL, e.g. https://origin.example.com",
  PUBLIC_URL: "set PUBLIC_URL in {where} to the worker's public origin, e.g. https://app.example.com",
  OIDC_ISSUER: "leave empty for Google, or the provider's https issuer URL",
  OIDC_CLIENT_ID: "paste the OAuth client id from the provider (Google Cloud console > Credentials)",
  OIDC_CLIENT_SECRET: "npx wrangler secret put OIDC_CLIENT_SECRET (locally: a line in .dev.vars)",
  SESSION_KEYS: "node scripts/keys.mjs generate | npx wrangler secret put SESSION_KEYS",
  KEY_ROTATION:
    'set KEY_ROTATION in {where} to "auto" (the worker makes and rotates its keys) or "manual" (docs/operating.md)',
  KEY_ROTATION_DAYS: 'set KEY_ROTATION_DAYS in {where} to a whole number of days, e.g. "30"',
  KEY_WRAPPING_SECRET:
    "node -e \"console.log(crypto.randomBytes(32).toString('base64url'))\" | npx wrangler secret put KEY_WRAPPING_SECRET",
  ALLOWED_EMAILS:
    "list who may sign in: ALLOWED_EMAILS and/or ALLOWED_DOMAINS (ALLOWED_DOMAINS=* for any verified account)",
  ALLOWED_DOMAINS:
    "list who may sign in: ALLOWED_EMAILS and/or ALLOWED_DOMAINS (ALLOWED_DOMAINS=* for any verified account)",
  SESSIONS: "npx wrangler kv namespace create SESSIONS, then paste its id into [[kv_namespaces]]",
  ACCESS_POLICY: "edit ACCESS_POLICY in {where} (schema/access-policy.schema.json; docs/access-policies.md)",
  TRUSTED_WORKLOADS:
    "edit TRUSTED_WORKLOADS in {where} (schema/trusted-workloads.schema.json; docs/access-policies.md)",
  GOOGLE_GROUPS_CREDENTIALS:
    'npx wrangler secret put GOOGLE_GROUPS_CREDENTIALS < service-account-key.json (docs/access-policies.md, "Google Workspace groups")',
  GOOGLE_GROUPS_ADMIN:
    'an administrator\'s e-mail for domain-wide delegation, or empty (docs/access-policies.md, "Google Workspace groups")',
  PREVIEW_HOSTS:
    "host patterns of your preview deployments, e.g. *-edge-auth-worker-staging.example.workers.dev (and set PUBLIC_URL)",
  OIDC_PROVIDERS: "edit OIDC_PROVIDERS in {where} (docs/providers.md)",
  OIDC_CLIENT_SECRET_:
    "npx wrangler secret put {name} with that provider's client secret (locally: a line in .dev.vars)",
  ORIGIN_AUDIENCE:
    "set ORIGIN_AUDIENCE in {where} to the `aud` your origin checks in X-Auth-Assertion, e.g. https://origin.example.com",
};
/** How long --discover waits for a provider's discovery document, ms. */
const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * The client secrets OIDC_PROVIDERS' entries name, `OIDC_CLIENT_SECRET_<ID>` (as far as the
 * JSON parses: the worker's parser reports the rest), or none without OIDC_PROVIDERS.
 */
function providerSecretNames(vars) {
  let entries = vars.OIDC_PROVIDERS;
  try {
    if (typeof entries === "string") entries = entries.trim() === "" ? [] : JSON.parse(entries);
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  return entries
    .filter((entry) => typeof entry?.id === "string" && entry.id !== "")
    .map((entry) => `OIDC_CLIENT_SECRET_${entry.id.toUpperCase().replace(/-/g, "_")}`);
}

/** The client secrets this configuration needs: OIDC_PROVIDERS' own, or OIDC_CLIENT_SECRET. */
function clientSecretNames(vars) {
  const named = providerSecretNames(vars);
  return named.length > 0 ? named : ["OIDC_CLIENT_SECRET"];
}

/**
 * --discover: each provider's discovery document fetched, as the worker will at the first
 * sign-in: reachable, JSON, naming that issuer and both endpoints. A problem per provider.
 */
async function discoveryProblems(providers) {
  return (
    await Promise.all(
      providers.map(async ({ id, issuer }) => {
        const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
        const where = id === "default" ? "OIDC_ISSUER" : `OIDC_PROVIDERS "${id}"`;
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), redirect: "error" });
          if (!response.ok) return `${where}: discovery at ${url} answered ${response.status}`;
          const metadata = await response.json();
          if (metadata.issuer !== issuer)
            return `${where}: discovery at ${url} names the issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`;
          if (!metadata.authorization_endpoint || !metadata.token_endpoint)
            return `${where}: discovery at ${url} lacks authorization_endpoint or token_endpoint`;
          return undefined;
        } catch (error) {
          return `${where}: discovery at ${url} could not be read (${error.cause?.code ?? error.name})`;
        }
      }),
    )
  ).filter(Boolean);
}

/** Secrets only some configurations need: unseen with --deploy, the problems they cause are warnings. */
const OPTIONAL_SECRETS = ["GOOGLE_GROUPS_CREDENTIALS", "SESSION_KEYS"];

/** The worker's own parser, bundled once per process (the tests run many checks in one). */
let parser;
function loadParser() {
  parser ??= bundleParser().catch((error) => {
    parser = undefined;
    throw error;
  });
  return parser;
}

/** The worker's own parser, and the names it reads (CONFIG_NAMES, the one list of them). */
async function bundleParser() {
  // The worker's parser and its list of names, and the problems and warnings only this check gives
  // (settings the worker ignores, format suffixes) and the long forms of its problems: they cost
  // the worker nothing.
  const contents = [
    'export { parseConfig } from "./config/parse-config.ts";',
    'export { CONFIG_NAMES } from "./config/load-config.ts";',
    'export { ignoredSettings } from "./config/ignored-settings.ts";',
    'export { formatSuffixWarnings } from "./policy/format-suffix-warnings.ts";',
    'export { unknownNames } from "./config/unknown-names.ts";',
    // Each problem in its long form, with its fix: the worker states them briefly (config/fixes.ts).
    'import { installFixTexts } from "./config/fixes.ts";',
    'import { FIX_TEXTS } from "./config/fix-texts.ts";',
    "installFixTexts(FIX_TEXTS);",
  ].join("\n");
  const resolveDir = fileURLToPath(new URL("../src/", import.meta.url));
  const stdin = { contents, resolveDir, loader: "ts", sourcefile: "check-entry.ts" };
  const options = { stdin, bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent" };
  const result = await build(options);
  const source = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(source).toString("base64")}`);
}

/** The worker's own verdict on `bindings` (names to values, bindings as stand-ins): every problem, none when it would serve. */
export async function workerProblems(bindings) {
  const { parseConfig } = await loadParser();
  const result = await parseConfig(bindings);
  return result.ok ? [] : result.problems;
}

/** "FILE line L, column C: not valid TOML (...)" for wrangler's ParseError, or undefined for any other error. */
export function tomlProblem(error) {
  if (!error?.location) return undefined;
  const { file, line, column } = error.location;
  return `${file} line ${line}, column ${column + 1}: not valid TOML (${error.text ?? error.message})`;
}

/**
 * PREVIEW_HOSTS wildcards right below a public suffix of the Public Suffix List (its private
 * domains too: hosting platforms such as blogspot.com or s3.amazonaws.com), where anyone can have
 * a host. The worker refuses the common ones itself (src/config/preview-hosts.ts); the whole
 * list is too large to carry in it, so it is checked here.
 */
async function previewHostProblems(previewHosts) {
  const { getPublicSuffix } = await import("tldts");
  const problems = [];
  for (const entry of String(previewHosts ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean)) {
    const [first, ...rest] = entry.replace(/:[0-9]+$/, "").split(".");
    const fixed = rest.join(".");
    if (!first.includes("*") || fixed === "") continue;
    if (getPublicSuffix(fixed, { allowPrivateDomains: true }) === fixed) {
      const why = `a public suffix (publicsuffix.org) where anyone can have a host`;
      problems.push(`PREVIEW_HOSTS: "${entry}" is right below "${fixed}", ${why}; put the * below your own domain`);
    }
  }
  return problems;
}

/** The bindings `wrangler dev` would give the worker: [vars] with .dev.vars (or .env) over them, as wrangler merges them. */
function devBindings(getVarsForDev, configPath, config, environment) {
  const merged = getVarsForDev(configPath, undefined, config.vars, environment, true, config.secrets);
  return Object.fromEntries(Object.entries(merged).map(([name, binding]) => [name, binding.value]));
}

/** The bindings `wrangler deploy` would give it: [vars]; secrets only when the environment has them. */
function deployBindings(config, warnings, environment) {
  const bindings = { ...config.vars };
  for (const name of secretsFor(bindings)) {
    if (process.env[name]) bindings[name] = process.env[name];
    else {
      bindings[name] = undefined;
      const list = `npx wrangler secret list${environment ? ` --env ${environment}` : ""}`;
      warnings.push(
        `${name}: not available here; make sure \`${list}\` shows it (${hintFor(`${name}:`, environment)})`,
      );
    }
  }
  for (const name of OPTIONAL_SECRETS) if (process.env[name] && !(name in bindings)) bindings[name] = process.env[name];
  return bindings;
}

/** The SESSIONS namespace id of the top level and of every environment, by where it is declared. */
function sessionsIds(raw) {
  const idOf = (table) => (table?.kv_namespaces ?? []).find((namespace) => namespace.binding === "SESSIONS")?.id;
  const ids = [["the top level", idOf(raw)]];
  for (const [name, table] of Object.entries(raw.env ?? {})) ids.push([`[env.${name}]`, idOf(table)]);
  return ids;
}

/**
 * Every problem of the configuration in `configPath`: as `wrangler dev` would run it, or with
 * `deploy` as `wrangler deploy` would; with `env`, of that environment.
 */
export async function checkConfig(options = {}) {
  const {
    configPath = "wrangler.toml",
    env: environment,
    deploy = false,
    secretNames = [],
    discover = false,
  } = options;
  const { unstable_readConfig, unstable_getVarsForDev, experimental_readRawConfig } = loadWrangler();
  let rawConfig;
  try {
    ({ rawConfig } = experimental_readRawConfig({ config: configPath }));
  } catch (error) {
    // wrangler's ParseError: the TOML parser's message, with the file and the 1-based line.
    const problem = tomlProblem(error);
    if (!problem) throw error;
    return { problems: [problem], warnings: [], sources: new Map() };
  }
  const environments = Object.keys(rawConfig.env ?? {});
  if (environment && !environments.includes(environment)) {
    return {
      problems: [
        `--env ${environment}: ${configPath} has no [env.${environment}] (environments: ${environments.join(", ") || "none"})`,
      ],
      warnings: [],
    };
  }
  const config = unstable_readConfig({ config: configPath, env: environment });
  const warnings = [];
  const bindings = deploy
    ? deployBindings(config, warnings, environment)
    : devBindings(unstable_getVarsForDev, configPath, config, environment);
  const kv = config.kv_namespaces.find((namespace) => namespace.binding === "SESSIONS");
  const extra = [];
  if (!kv) extra.push("SESSIONS: no [[kv_namespaces]] binding named SESSIONS");
  else if (deploy && PLACEHOLDER_KV_ID.test(kv.id ?? ""))
    extra.push("SESSIONS: the KV namespace id is still the placeholder");
  else if (kv.id && !PLACEHOLDER_KV_ID.test(kv.id)) {
    // Two environments on one namespace would read and revoke each other's sessions' records.
    const here = environment ? `[env.${environment}]` : "the top level";
    const shared = sessionsIds(rawConfig)
      .filter(([where, id]) => where !== here && id === kv.id)
      .map(([where]) => where);
    if (shared.length > 0)
      extra.push(`SESSIONS: the same KV namespace as ${shared.join(" and ")}; give each environment its own`);
  }
  // The worker rotates its keys only when the cron trigger runs it (inherited by environments).
  if (autoKeys(bindings) && !(config.triggers?.crons ?? []).length)
    extra.push('KEY_ROTATION: "auto" needs a cron trigger ([triggers] crons in wrangler.toml), or no key ever rotates');
  // The parser checks a real binding's shape; here only its presence in wrangler.toml matters.
  bindings.SESSIONS = { get() {} };
  if (config.services?.some((service) => service.binding === "ORIGIN")) bindings.ORIGIN = { fetch() {} };

  const { parseConfig, CONFIG_NAMES, ignoredSettings, formatSuffixWarnings, unknownNames } = await loadParser();
  const result = await parseConfig(bindings);
  extra.push(...ignoredSettings(bindings));
  if (result.ok) warnings.push(...formatSuffixWarnings(result.config.policy));
  const sources = valueSources(configPath, environment, deploy);
  const named = [...sources].map(([name, source]) => ({ name, where: source.label }));
  for (const name of secretNames) named.push({ name, where: "a secret of the Worker" });
  const names = unknownNames(named, [...CONFIG_NAMES, ...providerSecretNames(bindings)]);
  extra.push(...names.problems);
  warnings.push(...names.warnings);
  // "not valid JSON" alone: say where in the value, and where in the file.
  const located = (problem) => {
    const name = JSON_NAMES.find((candidate) => problem.startsWith(`${candidate}: not valid JSON`));
    const value = name && bindings[name];
    return (typeof value === "string" && describeJsonError(name, value, sources.get(name))) || problem;
  };
  const unseen = (problem) =>
    // With --deploy, secrets we could not see are warnings, not errors.
    deploy &&
    (secretsFor(bindings).some((name) => problem.startsWith(`${name}: required`) && bindings[name] === undefined) ||
      OPTIONAL_SECRETS.some((name) => problem.includes(`${name} is not set`) && bindings[name] === undefined));
  const known = result.ok ? [] : result.problems.map(located);
  // Entries the worker already refuses are listed once, by the worker's own message.
  const alreadyKnown = (problem) => known.some((other) => other.startsWith(problem.slice(0, problem.indexOf(" is "))));
  const suffixProblems = (await previewHostProblems(bindings.PREVIEW_HOSTS)).filter((p) => !alreadyKnown(p));
  const discovered = discover && result.ok ? await discoveryProblems(result.config.providers) : [];
  const all = [...known, ...suffixProblems, ...extra, ...discovered];
  for (const problem of all.filter(unseen)) {
    if (!/^[A-Z_]+: required\b/.test(problem))
      warnings.push(
        `${problem.replace(/is not set.*$/, "is not visible here")}; make sure \`npx wrangler secret list\` shows it`,
      );
  }
  return { problems: all.filter((problem) => !unseen(problem)), warnings, sources, capacity: capacityLine(bindings) };
}

/**
 * The fix for a problem: in the file its value came from (`sources`, by name), else in the
 * vars table it belongs in; for an environment, with its wrangler flag and its tables.
 */
function hintFor(problem, environment, sources = new Map(), configPath = "wrangler.toml") {
  const name = problem.split(/[:[ ]/)[0];
  const hint =
    name === "ACCESS_POLICY" && problem.includes("GOOGLE_GROUPS_CREDENTIALS is not set")
      ? HINTS.GOOGLE_GROUPS_CREDENTIALS
      : (HINTS[name] ?? (name.startsWith("OIDC_CLIENT_SECRET_") ? HINTS.OIDC_CLIENT_SECRET_ : undefined));
  if (!hint) return hint;
  const table = environment ? `env.${environment}.vars` : "vars";
  const where = sources.get(name)?.label ?? `${basename(configPath)} [${table}]`;
  if (!environment) return hint.replace("{where}", where).replace("{name}", name);
  return hint
    .replace("{name}", name)
    .replace("{where}", where)
    .replace(/(wrangler (?:secret put|kv namespace create) [A-Z_]+)/, `$1 --env ${environment}`)
    .replace("[[kv_namespaces]]", `[[env.${environment}.kv_namespaces]]`)
    .replace("(locally: a line in .dev.vars)", `(locally: a line in .dev.vars.${environment})`);
}

/**
 * `npm run check` with these arguments: what it prints, each line to `out` (stdout: `log`,
 * stderr: `warn` and `error`), and its exit code: 1 with problems, 2 when the check itself failed
 * (printed, never thrown). Setup and deploy run it in their own process, and the tests in theirs,
 * so that wrangler's configuration code is loaded once per process rather than once per check.
 */
export async function runCheckCommand(argv, out = console) {
  process.env.WRANGLER_SEND_METRICS = "false";
  try {
    return await check(argv, out);
  } catch (error) {
    out.error(`check: ${error.message}`);
    return 2;
  }
}

async function check(argv, out) {
  const deploy = argv.includes("--deploy");
  const option = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const environment = option("--env");
  const configPath = option("--config") ?? "wrangler.toml";
  const secretNames = (option("--secret-names") ?? "").split(",").filter(Boolean);
  const { problems, warnings, sources, capacity } = await checkConfig({
    deploy,
    discover: argv.includes("--discover"),
    env: environment,
    configPath,
    secretNames,
  });
  const vars = environment ? `[env.${environment}.vars]` : "[vars]";
  out.log(
    deploy
      ? `checking what \`wrangler deploy${environment ? ` --env ${environment}` : ""}\` would run: ${vars}; secrets are at Cloudflare`
      : `checking what \`wrangler dev${environment ? ` --env ${environment}` : ""}\` would run: ${vars} with .dev.vars${environment ? `.${environment}` : ""} (or .env) over them; --deploy for what is deployed`,
  );
  for (const warning of warnings) out.warn(`warning: ${warning}`);
  if (problems.length === 0) {
    out.log("configuration OK");
    out.log(capacity);
    return 0;
  }
  out.error(`${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:`);
  for (const problem of problems) {
    const hint = hintFor(problem, environment, sources, configPath);
    out.error(`  - ${problem}${hint ? `\n      fix: ${hint}` : ""}`);
  }
  return 1;
}

/**
 * Setup's last step: `npm run check -- --deploy` on the environment it has just set up, in its own
 * process, with the secret values it has just put as if they were in the environment (as the check
 * reads them there), and only for the check; every secret's name, for a misspelled one. True when
 * the configuration is OK; else the check has printed the problems and this says what to do.
 */
export async function checkWhatSetupPut({ env, configPath, secretNames, secrets }) {
  const saved = Object.keys(secrets).map((name) => [name, process.env[name]]);
  Object.assign(process.env, secrets);
  try {
    const argv = ["--deploy", "--env", env, "--config", configPath, "--secret-names", secretNames.join(",")];
    if ((await runCheckCommand(argv)) === 0) return true;
    console.error(`setup: the check found problems (above); fix them and run setup again`);
    return false;
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runCheckCommand(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

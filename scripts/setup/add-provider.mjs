// `npm run setup -- --env NAME --add-provider ID ...` (docs/deploying.md, "Adding a sign-in provider"):
// adds an entry to the environment's OIDC_PROVIDERS, converting the single OIDC_ISSUER /
// OIDC_CLIENT_ID provider into the entry "default" first (its people keep their sessions: the
// default provider's people are known by their bare `sub`). The entries are checked by the
// worker's own parser; the secrets are put before wrangler.toml changes, so a refusal or a failed
// `wrangler secret put` leaves the file as it was.
import { readFileSync, writeFileSync } from "node:fs";
import { checkWhatSetupPut, workerProblems } from "../check-config.mjs";
import { setRawVar, setVars } from "./environment-table.mjs";
import { tomlLiteral } from "../lib/toml-lines.mjs";
import { putSecret, secretNames } from "./wrangler-cli.mjs";
import { loadWrangler } from "../lib/wrangler.mjs";

const GOOGLE_ISSUER = "https://accounts.google.com";
/** The single provider's id as an entry: the worker keys its people by bare `sub`, as before. */
const DEFAULT_ID = "default";

/** The secret of provider `id`, as the worker names it: `OIDC_CLIENT_SECRET_<ID>`, `-` as `_`. */
export const secretNameOf = (id) => `OIDC_CLIENT_SECRET_${id.toUpperCase().replace(/-/g, "_")}`;

/** The environment's vars as wrangler reads them (multi-line strings included). */
async function environmentVars(configPath, env) {
  const { experimental_readRawConfig } = loadWrangler();
  return experimental_readRawConfig({ config: configPath }).rawConfig.env?.[env]?.vars;
}

/**
 * The providers the environment has: OIDC_PROVIDERS' entries, or the single provider of
 * OIDC_ISSUER/OIDC_CLIENT_ID as "default" (`converted`), or none when it has no client id yet.
 */
function currentProviders(vars) {
  const written = String(vars.OIDC_PROVIDERS ?? "").trim();
  if (written !== "") {
    let entries;
    try {
      entries = JSON.parse(written);
    } catch {
      return { problem: "OIDC_PROVIDERS: not valid JSON now; fix it first (npm run check says where)" };
    }
    if (!Array.isArray(entries)) return { problem: "OIDC_PROVIDERS: not a JSON array now; fix it first" };
    return { entries, converted: false };
  }
  const clientId = String(vars.OIDC_CLIENT_ID ?? "").trim();
  if (clientId === "") return { entries: [], converted: false };
  const issuer = String(vars.OIDC_ISSUER ?? "").trim() || GOOGLE_ISSUER;
  // The label the worker shows for the single provider today (src/config/oidc-providers.ts).
  const label = issuer === GOOGLE_ISSUER ? "Google" : URL.canParse(issuer) ? new URL(issuer).host : issuer;
  return { entries: [{ id: DEFAULT_ID, label, issuer, clientId }], converted: true };
}

/**
 * The worker's own verdict on the entries (each secret a stand-in): its OIDC_PROVIDERS problems,
 * the new entry's named by the flags that gave it.
 */
async function entryProblems(entries, added) {
  const bindings = { OIDC_PROVIDERS: JSON.stringify(entries) };
  for (const { id } of entries) if (typeof id === "string" && id !== "") bindings[secretNameOf(id)] = "stand-in";
  const label = `OIDC_PROVIDERS[${entries.indexOf(added)}]`;
  return (await workerProblems(bindings))
    .filter((problem) => problem.startsWith("OIDC_PROVIDERS"))
    .map((problem) => problem.replace(label, `the new provider (--add-provider ${JSON.stringify(added.id)})`));
}

/** OIDC_PROVIDERS as wrangler.toml shows it: one provider a line. */
function providersToml(entries) {
  return tomlLiteral(`[\n${entries.map((entry) => `  ${JSON.stringify(entry)}`).join(",\n")}\n]`);
}

/**
 * Adds the provider: `options` are setup's flags, `given` the new provider's secret when it came
 * without a prompt. Returns the exit code.
 */
export async function addProvider({ options, given, configPath, env, flags, asker }) {
  const vars = await environmentVars(configPath, env);
  if (!vars) {
    console.error(`setup: nothing changed; ${configPath} has no [env.${env}.vars]; set it up first:
  npm run setup -- --env ${env}`);
    return 1;
  }
  const current = currentProviders(vars);
  const problems = current.problem ? [current.problem] : [];
  const id = options["add-provider"] || (await asker.ask("Provider id (e.g. partner)", undefined));
  const label = options.label ?? (await asker.ask("Label on the sign-in page (e.g. Partner accounts)", undefined));
  const issuer = options.issuer ?? (await asker.ask("Issuer URL (https://...)", undefined));
  const clientId = options["client-id"] ?? (await asker.ask("OAuth client id at that provider", undefined));
  const added = { id: id ?? "", label: label ?? "", issuer: issuer ?? "", clientId: clientId ?? "" };
  const entries = [...(current.entries ?? []), added];
  if (!current.problem) problems.push(...(await entryProblems(entries, added)));

  const existing = await secretNames(flags);
  const secrets = await secretsToPut({ current, added, existing, given, asker, env, problems });
  if (problems.length > 0) {
    const count = problems.length;
    console.error(`setup: nothing changed; ${count} answer${count === 1 ? "" : "s"} missing or wrong:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    return 1;
  }

  // The secrets first: unread by the version running now, and the file changes only once they are in.
  for (const [name, value] of Object.entries(secrets)) {
    await putSecret(name, value, flags);
    console.log(`secret ${name}: ${existing.includes(name) ? "replaced with the one given" : "put"}`);
  }
  const lines = readFileSync(configPath, "utf8").split("\n");
  if (current.converted) setVars(lines, env, singleFormCleared(vars));
  setRawVar(lines, env, "OIDC_PROVIDERS", providersToml(entries));
  writeFileSync(configPath, lines.join("\n"));
  const ids = entries.map((entry) => `"${entry.id}"`).join(", ");
  const was = current.converted ? ` ("${DEFAULT_ID}": was OIDC_ISSUER and OIDC_CLIENT_ID, now emptied)` : "";
  console.log(`${configPath}: [env.${env}.vars] OIDC_PROVIDERS = ${ids}${was}`);
  // The single provider was trusted for Google's claims whatever its issuer; an entry is only at Google's.
  const [first] = entries;
  if (current.converted && first.issuer !== GOOGLE_ISSUER)
    console.warn(
      `warning: "${DEFAULT_ID}" (${first.issuer}) is not Google's: as an OIDC_PROVIDERS entry, its hd claim (ALLOWED_DOMAINS, rules' "domains"), Google Workspace groups and RISC events no longer count (docs/providers.md, "What stays Google's")`,
    );

  const names = [...new Set([...existing, ...Object.keys(secrets)])];
  if (!(await checkWhatSetupPut({ env, configPath, secretNames: names, secrets }))) return 1;
  printNextSteps({
    vars,
    env,
    added,
    configPath,
    flags,
    oldSecret: existing.includes("OIDC_CLIENT_SECRET"),
  });
  return 0;
}

/**
 * The secrets to put, by name: the new provider's, and, when the single provider becomes
 * "default", its secret under its new name (secrets cannot be read back: given again, unless the
 * Worker already has it). A missing one is added to `problems`.
 */
async function secretsToPut({ current, added, existing, given, asker, env, problems }) {
  const secrets = {};
  // The worker accepted the entry, so its id names a secret.
  const accepted = problems.length === 0;
  // No prompt for a secret when setup refuses anyway.
  const ask = (question) =>
    problems.length === 0 ? asker.ask(question, undefined, { hidden: true }) : Promise.resolve(undefined);
  const defaultName = secretNameOf(DEFAULT_ID);
  if (current.converted && !existing.includes(defaultName)) {
    const value =
      process.env.OIDC_CLIENT_SECRET ||
      (await ask("Client secret of the current provider (OIDC_CLIENT_SECRET, not shown)"));
    if (value) secrets[defaultName] = value;
    else
      problems.push(
        `${defaultName}: the current provider becomes "${DEFAULT_ID}" and needs its client secret under this name; secrets cannot be read back, so give it again (OIDC_CLIENT_SECRET in the environment, or at the prompt), or put it yourself and run setup again:\n      npx wrangler secret put ${defaultName} --env ${env}`,
      );
  }
  if (!accepted) return secrets;
  const newName = secretNameOf(added.id);
  const value = given ?? (await ask(`Client secret at ${added.label || added.id} (not shown)`));
  if (value) secrets[newName] = value;
  else if (!existing.includes(newName))
    problems.push(
      `--client-secret: required (the client secret at ${added.label || added.id}; docs/deploying.md: how to give it)`,
    );
  return secrets;
}

/** What to register at the new provider, and how to deploy (and, while the Worker has OIDC_CLIENT_SECRET, to delete it). */
function printNextSteps({ vars, env, added, configPath, flags, oldSecret }) {
  const publicUrl =
    String(vars.PUBLIC_URL ?? "")
      .trim()
      .replace(/\/$/, "") || "https://<the worker's public host>";
  const prefix = String(vars.AUTH_PREFIX ?? "").trim() || "/auth";
  const configFlag = flags.includes("--config") ? ` --config ${configPath}` : "";
  console.log(`
At ${added.label} (the OAuth client ${added.clientId}), register the redirect URI:
  ${publicUrl}${prefix}/callback`);
  const deploy = `npm run deploy -- --env ${env}${configFlag}`;
  if (!oldSecret) {
    console.log(`\nThen deploy:\n  ${deploy}`);
    return;
  }
  // Either order leaves a moment with a configuration the worker refuses: the running version
  // needs OIDC_CLIENT_SECRET, the new one refuses to serve beside it. Back to back, it is seconds.
  console.log(`
Then deploy. The Worker still has OIDC_CLIENT_SECRET, which the version running now reads; the
version you deploy refuses to serve while it is there (OIDC_PROVIDERS replaces it), so delete it
right after the deploy, in the same command line:
  ${deploy} && npx wrangler secret delete OIDC_CLIENT_SECRET --env ${env}${configFlag}`);
}

/** The single form's vars emptied (OIDC_ISSUER may keep Google's default, which counts as unset). */
function singleFormCleared(vars) {
  const issuer = String(vars.OIDC_ISSUER ?? "").trim();
  return { OIDC_CLIENT_ID: "", ...(issuer === "" || issuer === GOOGLE_ISSUER ? {} : { OIDC_ISSUER: "" }) };
}

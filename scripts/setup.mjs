#!/usr/bin/env node
// `npm run setup -- --env NAME`: a guided first deploy of one environment (docs/deploying.md, "With npm run setup").
// Asks for the public hostname, the origin, the Google client and who may sign in; writes them
// into [env.NAME] of wrangler.toml (comments and everything else kept); creates the SESSIONS KV
// namespace; puts OIDC_CLIENT_SECRET and, for signing keys the worker rotates itself
// (KEY_ROTATION = "auto"), a generated KEY_WRAPPING_SECRET as secrets (on wrangler's stdin);
// checks the result. Run again, it adds only what is missing and never replaces a key secret.
// With --add-provider ID, it adds a sign-in provider to a set-up environment instead
// (scripts/setup/add-provider.mjs).
import { readFileSync, writeFileSync } from "node:fs";
import { text } from "node:stream/consumers";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkWhatSetupPut } from "./check-config.mjs";
import { addProvider } from "./setup/add-provider.mjs";
import { collectAnswers } from "./setup/answers.mjs";
import { createAsker } from "./setup/ask.mjs";
import * as table from "./setup/environment-table.mjs";
import { setUpSigningKeys } from "./setup/signing-keys.mjs";
import { createSessionsNamespace, putSecret, secretNames, whoami } from "./setup/wrangler-cli.mjs";

const OPTIONS = {
  env: { type: "string" },
  config: { type: "string" },
  "public-url": { type: "string" },
  "origin-url": { type: "string" },
  "origin-service": { type: "string" },
  "origin-audience": { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  "allowed-emails": { type: "string" },
  "allowed-domains": { type: "string" },
  "add-provider": { type: "string" },
  label: { type: "string" },
  issuer: { type: "string" },
  yes: { type: "boolean", short: "y" },
  help: { type: "boolean", short: "h" },
};
const USAGE = `usage: npm run setup -- --env NAME [--yes] [--config wrangler.toml]
  [--public-url HOST] [--origin-url URL | --origin-service WORKER] [--origin-audience AUD]
  [--client-id ID] [--client-secret -] [--allowed-emails LIST] [--allowed-domains LIST]
The client secret: OIDC_CLIENT_SECRET in the environment, or --client-secret - to read it from
stdin, or typed at the prompt (not echoed). See docs/deploying.md.
Another sign-in provider, for an environment set up already:
npm run setup -- --env NAME --add-provider ID [--label TEXT] [--issuer URL] [--client-id ID]
  [--client-secret -] [--yes] [--config wrangler.toml]`;
/**
 * An environment's name: it becomes a TOML table name ([env.NAME]) and part of the Worker's name
 * (`<name>-NAME`), which Cloudflare limits to lowercase letters, digits and dashes.
 */
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const NOT_LOGGED_IN = `setup: nothing changed; wrangler is not logged in to a Cloudflare account. Log in, then run setup again:
  npx wrangler login
(In CI, or on a machine without a browser: set CLOUDFLARE_API_TOKEN to an API token made from the
"Edit Cloudflare Workers" template, and CLOUDFLARE_ACCOUNT_ID to your account's id.)`;

/** The client secret given without a prompt: from stdin (`--client-secret -`), the flag, or OIDC_CLIENT_SECRET. */
async function givenClientSecret(options, stdin) {
  if (options["client-secret"] === "-") return (await text(stdin)).trim() || undefined;
  return options["client-secret"] ?? (process.env.OIDC_CLIENT_SECRET || undefined);
}

/**
 * `npm run setup` with these arguments: its exit code; a failure is printed, never thrown. Answers
 * and a piped secret are read from `stdin`, questions written to `stdout` (the process's own unless
 * given: the tests run setup in their process).
 */
export async function setup(argv, { stdin = process.stdin, stdout = process.stdout } = {}) {
  try {
    return await setUp(argv, { stdin, stdout });
  } catch (error) {
    console.error(`setup: ${error.message}`);
    return 1;
  }
}

async function setUp(argv, io) {
  const { values: options } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (options.help || options.env === undefined) {
    console.log(USAGE);
    return options.help ? 0 : 2;
  }
  const env = options.env;
  if (!ENVIRONMENT_NAME.test(env)) {
    console.error(
      `setup: nothing changed; --env ${JSON.stringify(env)} is not an environment name: a lowercase letter, then up to 62 lowercase letters, digits or "-" (e.g. staging)`,
    );
    return 2;
  }
  const configPath = options.config ?? "wrangler.toml";
  const flags = ["--env", env, ...(options.config ? ["--config", configPath] : [])];
  // The account first: every later step needs it, and a file changed for an account that is not
  // there would be a half-done setup.
  const account = await whoami(flags);
  if (account.loggedOut) {
    console.error(NOT_LOGGED_IN);
    return 1;
  }
  const accountProblem = chooseAccount(account, readFileSync(configPath, "utf8"), env);
  if (accountProblem) {
    console.error(`setup: nothing changed; ${accountProblem}`);
    return 1;
  }
  const clientSecret = await givenClientSecret(options, io.stdin);
  const asker = createAsker({
    yes: options.yes || options["client-secret"] === "-",
    input: io.stdin,
    output: io.stdout,
  });
  try {
    if (options["add-provider"] !== undefined) {
      // The new provider's secret: stdin or the flag (OIDC_CLIENT_SECRET is the current provider's).
      const given = options["client-secret"] === "-" ? clientSecret : options["client-secret"];
      return await addProvider({ options, given, configPath, env, flags, asker });
    }
    const lines = readFileSync(configPath, "utf8").split("\n");
    const fresh = table.ensureEnvironment(lines, env);
    const answers = await collectAnswers(options, lines, env, asker.ask, fresh);
    if (answers.problems.length > 0) {
      const count = answers.problems.length;
      console.error(`setup: nothing changed; ${count} answer${count === 1 ? "" : "s"} missing or wrong:`);
      for (const problem of answers.problems) console.error(`  - ${problem}`);
      return 1;
    }
    writeAnswers(lines, env, answers);
    writeFileSync(configPath, lines.join("\n"));
    console.log(`${configPath}: ${fresh ? "added" : "updated"} [env.${env}] with the answers`);

    const id = table.readSessionsId(lines, env);
    if (!id || id === table.PLACEHOLDER_KV_ID) {
      const namespace = await createSessionsNamespace(flags, env);
      table.setSessionsId(lines, env, namespace.id);
      writeFileSync(configPath, lines.join("\n"));
      const how = namespace.created ? "created" : `found at Cloudflare as ${env}-SESSIONS`;
      console.log(`KV namespace SESSIONS: ${how}, its id written into [[env.${env}.kv_namespaces]]`);
    } else console.log(`KV namespace SESSIONS: kept (${id})`);

    const { put, names } = await putSecrets(flags, clientSecret, asker, lines, env);
    writeFileSync(configPath, lines.join("\n"));
    if (!(await checkWhatSetupPut({ env, configPath, secretNames: names, secrets: put }))) return 1;
    const prefix = table.readVar(lines, env, "AUTH_PREFIX") || "/auth";
    console.log(`
In the Google Cloud console (APIs & Services > Credentials > your OAuth client), register:
  Authorized JavaScript origin:  ${answers.publicUrl}
  Authorized redirect URI:       ${answers.publicUrl}${prefix}/callback

Then deploy:
  npm run deploy -- --env ${env}${options.config ? ` --config ${configPath}` : ""}`);
    return 0;
  } finally {
    asker.close();
  }
}

/**
 * Why wrangler could not tell which account to use, or undefined: with several accounts and none
 * chosen, wrangler stops at its first call that needs one (setup runs it without a terminal).
 */
function chooseAccount({ email, accounts }, toml, env) {
  if (accounts.length === 1 || process.env.CLOUDFLARE_ACCOUNT_ID || /^\s*account_id\s*=/m.test(toml)) {
    console.log(
      `Cloudflare: logged in as ${email ?? "an API token"}${accounts.length === 1 ? `, account ${accounts[0].name} (${accounts[0].id})` : ""}`,
    );
    return undefined;
  }
  if (accounts.length === 0) return `${email ?? "this login"} has no Cloudflare account wrangler may use`;
  return `${email ?? "this login"} has ${accounts.length} Cloudflare accounts; choose one and run setup again with it:\n${accounts.map((found) => `  CLOUDFLARE_ACCOUNT_ID=${found.id} npm run setup -- --env ${env}   # ${found.name}`).join("\n")}`;
}

function writeAnswers(lines, env, answers) {
  const host = new URL(answers.publicUrl).host;
  // A workers.dev address comes with the Worker; any other host is attached as a custom domain.
  if (!host.endsWith(".workers.dev"))
    table.setEnvironmentKey(lines, env, "routes", `[{ pattern = "${host}", custom_domain = true }]`);
  table.setOriginService(lines, env, answers.origin.service);
  table.setVars(lines, env, {
    PUBLIC_URL: answers.publicUrl,
    ORIGIN_URL: answers.origin.url ?? "",
    ORIGIN_AUDIENCE: answers.originAudience,
    OIDC_CLIENT_ID: answers.clientId,
    ALLOWED_EMAILS: answers.allowedEmails,
    ALLOWED_DOMAINS: answers.allowedDomains,
  });
}

/** Puts the secrets the Worker lacks; returns the values it put, and the names the Worker now has. */
async function putSecrets(flags, clientSecret, asker, lines, env) {
  const existing = await secretNames(flags);
  const put = {};
  let secret = clientSecret;
  if (!secret && !existing.includes("OIDC_CLIENT_SECRET"))
    secret = await asker.ask("Google OAuth client secret (not shown)", undefined, { hidden: true });
  if (!secret && !existing.includes("OIDC_CLIENT_SECRET"))
    throw new Error("OIDC_CLIENT_SECRET: required (docs/deploying.md: how to give it)");
  if (secret) {
    await putSecret("OIDC_CLIENT_SECRET", secret, flags);
    put.OIDC_CLIENT_SECRET = secret;
    console.log(
      `secret OIDC_CLIENT_SECRET: ${existing.includes("OIDC_CLIENT_SECRET") ? "replaced with the one given" : "put"}`,
    );
  } else console.log("secret OIDC_CLIENT_SECRET: kept");
  Object.assign(put, await setUpSigningKeys(lines, env, existing, flags));
  return { put, names: [...new Set([...existing, ...Object.keys(put)])] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  setup(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

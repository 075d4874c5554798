#!/usr/bin/env node
// Signing keys for SESSION_KEYS (docs/operating.md, "Signing keys"). `rotate` and `retire` read the
// environment's published key set, make a new private key in memory and put the new set with
// `wrangler secret put SESSION_KEYS --env NAME` on its standard input: no private key is ever
// written to a file or printed. With KEY_ROTATION = "auto" the worker does this itself.
import { exportJWK, generateKeyPair } from "jose";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readVar } from "./setup/environment-table.mjs";
import { putSecret } from "./setup/wrangler-cli.mjs";

const CURVE_BY_ALG = { ES256: "P-256", EdDSA: "Ed25519" };
/** The members of a public signing JWK (RFC 7517, RFC 7518 6.2.1, RFC 8037 2): anything else is dropped. */
const PUBLIC_MEMBERS = ["kty", "crv", "x", "y", "kid", "alg", "use"];

/** A fresh private signing JWK with a random `kid`; `alg` is "ES256" (default) or "EdDSA". */
export async function generateSigningKey(alg = "ES256") {
  if (!(alg in CURVE_BY_ALG)) throw new Error(`unsupported alg ${alg}: use ES256 or EdDSA`);
  const { privateKey } = await generateKeyPair(alg, { crv: CURVE_BY_ALG[alg], extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `${new Date().toISOString().slice(0, 10)}-${randomBytes(6).toString("hex")}`, alg };
}

/** A JWK Set holding one fresh private key. */
export async function generateKeySet(alg = "ES256") {
  return { keys: [await generateSigningKey(alg)] };
}

/** The public keys a key set URL serves, checked: each with `kid` and `alg`, none private. */
export async function fetchPublishedKeys(url) {
  const response = await fetch(url, { headers: { accept: "application/json" }, redirect: "error" });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const set = await response.json().catch(() => undefined);
  if (!Array.isArray(set?.keys) || set.keys.length === 0) throw new Error(`${url} holds no JWK Set with keys`);
  for (const key of set.keys) {
    if (typeof key?.kid !== "string" || !(key.alg in CURVE_BY_ALG)) throw new Error(`${url}: a key without kid or alg`);
    if ("d" in key) throw new Error(`${url} publishes a private key: take the environment down and rotate`);
  }
  return set.keys.map((key) => Object.fromEntries(PUBLIC_MEMBERS.filter((m) => m in key).map((m) => [m, key[m]])));
}

const USAGE = `usage: npm run keys -- <command>
  rotate --env NAME [--alg ES256|EdDSA] [--jwks-url URL] [--config FILE]
      puts SESSION_KEYS of environment NAME: a new private key first (it signs from the next
      request), then every key the environment publishes now, public only (they keep verifying)
  retire KID --env NAME [--jwks-url URL] [--config FILE]
      the same without key KID (its tokens stop verifying); refused while KID still signs
  generate [--alg ES256|EdDSA]
      prints a new private key set, for .dev.vars: SESSION_KEYS='$(node scripts/keys.mjs generate)'
The published keys come from PUBLIC_URL/.well-known/jwks.json of [env.NAME.vars] in the config
(wrangler.toml), or --jwks-url. Nothing is written to disk; wrangler gets the set on its stdin.`;

const OPTIONS = {
  env: { type: "string" },
  alg: { type: "string" },
  "jwks-url": { type: "string" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** The environment's key set URL, from its PUBLIC_URL; refuses an environment that rotates its own keys. */
function jwksUrlOf(options) {
  const configPath = options.config ?? "wrangler.toml";
  const lines = readFileSync(configPath, "utf8").split("\n");
  if ((readVar(lines, options.env, "KEY_ROTATION") ?? "").toLowerCase() === "auto")
    throw new Error(`[env.${options.env}] has KEY_ROTATION = "auto": the worker rotates its own keys`);
  if (options["jwks-url"]) return options["jwks-url"];
  const publicUrl = readVar(lines, options.env, "PUBLIC_URL");
  if (!publicUrl) throw new Error(`[env.${options.env}.vars] in ${configPath} has no PUBLIC_URL: give --jwks-url`);
  return new URL("/.well-known/jwks.json", publicUrl).href;
}

/** `rotate` and `retire`: the new set, put as the environment's SESSION_KEYS; returns what to tell the operator. */
async function replaceKeys(command, retireKid, options) {
  const url = jwksUrlOf(options);
  const published = await fetchPublishedKeys(url);
  let kept = published;
  if (command === "retire") {
    if (!published.some((key) => key.kid === retireKid)) throw new Error(`${url} lists no key ${retireKid}`);
    // The first key of SESSION_KEYS signs, and the key set lists them in that order.
    if (published[0].kid === retireKid)
      throw new Error(`${retireKid} signs now: rotate first, and retire it once its tokens have expired`);
    kept = published.filter((key) => key.kid !== retireKid);
  }
  // A rotation replaces the key, not the algorithm: origins may pin the one they verify.
  const signing = await generateSigningKey(options.alg ?? published[0].alg);
  const flags = ["--env", options.env, ...(options.config ? ["--config", options.config] : [])];
  await putSecret("SESSION_KEYS", JSON.stringify({ keys: [signing, ...kept] }), flags);
  return [
    `SESSION_KEYS of ${options.env} put (read from ${url}):`,
    `  signs:    ${signing.kid} (${signing.alg}, new)`,
    ...kept.map((key) => `  verifies: ${key.kid} (${key.alg}, public only)`),
    ...(command === "retire" ? [`  retired:  ${retireKid}`] : []),
  ].join("\n");
}

/**
 * `npm run keys` with these arguments: its exit code; a failure is printed, never thrown. A
 * generated key set goes to `stdout` (the process's own unless given: the tests run it in theirs).
 */
export async function main(argv, { stdout = process.stdout } = {}) {
  try {
    return await keysCommand(argv, stdout);
  } catch (error) {
    console.error(`keys: ${error.message}`);
    return 1;
  }
}

async function keysCommand(argv, stdout) {
  const { values: options, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [command, kid] = positionals;
  if (command === "generate" && !options.help) {
    stdout.write(JSON.stringify(await generateKeySet(options.alg)) + "\n");
    return 0;
  }
  const known = (command === "rotate" && !kid) || (command === "retire" && kid);
  if (options.help || !known || !options.env) {
    console.error(USAGE);
    return options.help ? 0 : 2;
  }
  console.log(await replaceKeys(command, kid, options));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

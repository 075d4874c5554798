#!/usr/bin/env node
// Signing keys for SESSION_KEYS: generate a set, rotate in a new key, retire an old one.
// Output is a JSON JWK Set of private keys, ready for `wrangler secret put SESSION_KEYS`.
import { exportJWK, generateKeyPair } from "jose";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const CURVE_BY_ALG = { ES256: "P-256", EdDSA: "Ed25519" };

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

function readKeySet(file) {
  const text = file && file !== "-" ? readFileSync(file, "utf8") : readFileSync(0, "utf8");
  const set = JSON.parse(text);
  if (!set || !Array.isArray(set.keys)) throw new Error('input is not a JWK Set ({"keys":[...]})');
  return set;
}

const USAGE = `usage: node scripts/keys.mjs <command>   (or: npm run --silent keys -- <command>)
  generate [--alg ES256|EdDSA]            print a new key set
  rotate [--alg ES256|EdDSA] [FILE|-]     print FILE's set (or stdin) with a fresh signing key first
                                          (the algorithm of its current signing key unless --alg)
  retire <kid> [FILE|-]                   print FILE's set (or stdin) without key <kid>`;

async function main(argv) {
  const [command, ...rest] = argv;
  const algIndex = rest.indexOf("--alg");
  const alg = algIndex >= 0 ? rest.splice(algIndex, 2)[1] : undefined;
  let set;
  if (command === "generate") {
    set = await generateKeySet(alg);
  } else if (command === "rotate") {
    const current = readKeySet(rest[0]);
    // A rotation replaces the key, not the algorithm: origins may pin the one they verify.
    set = { keys: [await generateSigningKey(alg ?? current.keys[0]?.alg ?? "ES256"), ...current.keys] };
  } else if (command === "retire" && rest[0]) {
    const current = readKeySet(rest[1]);
    const keys = current.keys.filter((key) => key.kid !== rest[0]);
    if (keys.length === current.keys.length) throw new Error(`no key with kid ${rest[0]}`);
    if (keys.length === 0) throw new Error("refusing to retire the last key");
    set = { keys };
  } else {
    console.error(USAGE);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(set) + "\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`keys: ${error.message}`);
    process.exit(1);
  });
}

import type { JWK, JWTVerifyGetKey } from "jose";
import { JWKSNoMatchingKey } from "jose/errors";
import { isObject } from "./json-shapes";

/**
 * Algorithms we sign with: the key type each one requires (ES256 on P-256, EdDSA on Ed25519;
 * docs/configuration.md), and WebCrypto's parameters for importing and signing with it (RFC 7518
 * 3.4; RFC 8037 3.1; each operation reads only the members it knows).
 */
const ALGORITHMS: Record<
  string,
  { kty: string; crv: string; webCrypto: { name: string; namedCurve?: string; hash?: string } }
> = {
  ES256: { kty: "EC", crv: "P-256", webCrypto: { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } },
  EdDSA: { kty: "OKP", crv: "Ed25519", webCrypto: { name: "Ed25519" } },
};

export type SigningAlgorithm = "ES256" | "EdDSA";

export interface PublicSigningJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: SigningAlgorithm;
  use: "sig";
}

export interface SessionKeys {
  /** The first key of SESSION_KEYS: signs every token we issue. */
  signing: { kid: string; alg: SigningAlgorithm; key: CryptoKey };
  /** The public halves of every key, as published at /.well-known/jwks.json. */
  publicJwks: { keys: PublicSigningJwk[] };
  /** jose key resolver over the public halves: selects by `kid`, pins `alg` per key. */
  verificationKeys: JWTVerifyGetKey;
  algorithms: SigningAlgorithm[];
}

function publicHalf(jwk: JWK & { kid: string; alg: SigningAlgorithm }): PublicSigningJwk {
  const half: PublicSigningJwk = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, kid: jwk.kid, alg: jwk.alg, use: "sig" };
  if (jwk.y !== undefined) half.y = jwk.y;
  return half;
}

function shapeProblems(key: unknown, label: string): string[] {
  if (!isObject(key)) return [`${label}: not a JSON object`];
  const problems: string[] = [];
  if (typeof key.kid !== "string" || key.kid.length === 0) problems.push(`${label}: missing "kid"`);
  const shape = typeof key.alg === "string" ? ALGORITHMS[key.alg] : undefined;
  if (!shape) {
    problems.push(`${label}: "alg" must be ES256 or EdDSA`);
  } else if (key.kty !== shape.kty || key.crv !== shape.crv) {
    problems.push(`${label}: alg ${String(key.alg)} needs kty ${shape.kty} and crv ${shape.crv}`);
  }
  if (typeof key.d !== "string" || key.d.length === 0) problems.push(`${label}: not a private key (no "d")`);
  if (typeof key.x !== "string" || (key.kty === "EC" && typeof key.y !== "string")) {
    problems.push(`${label}: public coordinates missing`);
  }
  if (key.use !== undefined && key.use !== "sig") problems.push(`${label}: "use" must be "sig"`);
  return problems;
}

/**
 * Imports both halves of a checked key with WebCrypto directly (jose's importJWK would bring its
 * table of every JWE algorithm into the bundle), the public one from the JWK we publish (publicHalf),
 * and proves they belong together, once per isolate.
 */
async function importChecked(jwk: JWK & { kid: string; alg: SigningAlgorithm }, label: string) {
  const publicJwk = publicHalf(jwk);
  const { webCrypto } = ALGORITHMS[jwk.alg]!;
  try {
    const privateKey = await crypto.subtle.importKey("jwk", { ...publicJwk, d: jwk.d }, webCrypto, false, ["sign"]);
    const publicKey = await crypto.subtle.importKey("jwk", publicJwk, webCrypto, false, ["verify"]);
    const probe = new TextEncoder().encode("key-check");
    const signature = await crypto.subtle.sign(webCrypto, privateKey, probe);
    if (!(await crypto.subtle.verify(webCrypto, publicKey, signature, probe))) throw new Error("halves differ");
    return { key: privateKey, publicKey };
  } catch {
    return { problem: `${label}: not a usable ${jwk.alg} private key (or its public half does not match)` };
  }
}

/**
 * The public key a token's `kid` names, only for the algorithm that key has. The keys were
 * imported (and checked) once, at parse time: jose's createLocalJWKSet would filter the set and
 * import each key again on first use.
 */
function keyResolver(byKid: ReadonlyMap<string, { alg: SigningAlgorithm; key: CryptoKey }>): JWTVerifyGetKey {
  return function sessionKeyFor(header) {
    const entry = typeof header.kid === "string" ? byKid.get(header.kid) : undefined;
    // jose's own refusal, so its code (ERR_JWKS_NO_MATCHING_KEY) is what the log says.
    if (!entry || entry.alg !== header.alg) throw new JWKSNoMatchingKey();
    return entry.key;
  };
}

/**
 * Parses SESSION_KEYS (a JSON JWK Set of private keys). Returns every problem found; never
 * echoes key material in a problem.
 */
export async function parseSessionKeys(raw: string): Promise<{ keys?: SessionKeys; problems: string[] }> {
  let set: unknown;
  try {
    set = JSON.parse(raw);
  } catch {
    return { problems: ["SESSION_KEYS: not valid JSON"] };
  }
  const list = (set as { keys?: unknown })?.keys;
  if (!Array.isArray(list) || list.length === 0) {
    return { problems: ['SESSION_KEYS: must be a JWK Set {"keys":[...]} with at least one key'] };
  }
  const problems = list.flatMap((jwk, i) => shapeProblems(jwk, `SESSION_KEYS key #${i + 1}`));
  const kids = list.map((jwk) => (jwk as { kid?: unknown })?.kid);
  if (new Set(kids).size !== kids.length) problems.push('SESSION_KEYS: every "kid" must be unique');
  if (problems.length > 0) return { problems };

  const jwks = list as (JWK & { kid: string; alg: SigningAlgorithm })[];
  const imported = await Promise.all(jwks.map((jwk, i) => importChecked(jwk, `SESSION_KEYS key #${i + 1}`)));
  for (const result of imported) if (result.problem) problems.push(result.problem);
  if (problems.length > 0) return { problems };

  const publicKeys = jwks.map(publicHalf);
  const first = jwks[0]!;
  const byKid = new Map(jwks.map((jwk, i) => [jwk.kid, { alg: jwk.alg, key: imported[i]!.publicKey! }]));
  return {
    problems,
    keys: {
      signing: { kid: first.kid, alg: first.alg, key: imported[0]!.key! },
      publicJwks: { keys: publicKeys },
      verificationKeys: keyResolver(byKid),
      algorithms: [...new Set(jwks.map((jwk) => jwk.alg))],
    },
  };
}

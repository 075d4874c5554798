import type { JWK, JWTVerifyGetKey } from "jose";
import { JWKSNoMatchingKey } from "jose/errors";
import { isObject } from "./json-shapes";

/**
 * Algorithms we sign with: the key type each one requires (ES256 on P-256, EdDSA on Ed25519;
 * docs/configuration.md), and WebCrypto's parameters for importing and signing with it (RFC 7518
 * 3.4; RFC 8037 3.1; each operation reads only the members it knows).
 */
export const ALGORITHMS: Record<
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

/** The private key that signs every token we issue now. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

/** A key that verifies and is published: its JWK as published, and its imported public key. */
export interface PublishedKey {
  jwk: PublicSigningJwk;
  key: CryptoKey;
}

export interface SessionKeys {
  /** Signs every token we issue: SESSION_KEYS' first key, or the worker's own (KEY_ROTATION=auto). */
  signing: SigningKey;
  /** The public halves of every key, as published at /.well-known/jwks.json. */
  publicJwks: { keys: PublicSigningJwk[] };
  /** jose key resolver over the public halves: selects by `kid`, pins `alg` per key. */
  verificationKeys: JWTVerifyGetKey;
  algorithms: SigningAlgorithm[];
}

/** SESSION_KEYS parsed: every key is published and verifies; `firstPrivate` is its first key, when private. */
export interface ConfiguredKeys {
  firstPrivate?: SigningKey;
  published: PublishedKey[];
}

export function publicHalf(jwk: JWK & { kid: string; alg: SigningAlgorithm }): PublicSigningJwk {
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
  // A public-only key (no "d") verifies and is published, never signs.
  if (key.d !== undefined && (typeof key.d !== "string" || key.d.length === 0)) {
    problems.push(`${label}: "d" must be the private key, or absent for a key that only verifies`);
  }
  if (typeof key.x !== "string" || (key.kty === "EC" && typeof key.y !== "string")) {
    problems.push(`${label}: public coordinates missing`);
  }
  if (key.use !== undefined && key.use !== "sig") problems.push(`${label}: "use" must be "sig"`);
  return problems;
}

/**
 * Imports a checked key with WebCrypto directly (jose's importJWK would bring its table of every
 * JWE algorithm into the bundle): the public half from the JWK we publish (publicHalf), and the
 * private one when the JWK has it, proving the two belong together, once per isolate.
 */
export async function importSigningJwk(jwk: JWK & { kid: string; alg: SigningAlgorithm }) {
  const publicJwk = publicHalf(jwk);
  const { webCrypto } = ALGORITHMS[jwk.alg]!;
  const publicKey = await crypto.subtle.importKey("jwk", publicJwk, webCrypto, false, ["verify"]);
  if (jwk.d === undefined) return { publicJwk, publicKey };
  const privateKey = await crypto.subtle.importKey("jwk", { ...publicJwk, d: jwk.d }, webCrypto, false, ["sign"]);
  const probe = new TextEncoder().encode("key-check");
  const signature = await crypto.subtle.sign(webCrypto, privateKey, probe);
  if (!(await crypto.subtle.verify(webCrypto, publicKey, signature, probe))) throw new Error("halves differ");
  return { publicJwk, publicKey, privateKey };
}

/**
 * The public key a token's `kid` names, only for the algorithm that key has. The keys were
 * imported (and checked) once: jose's createLocalJWKSet would filter the set and import each key
 * again on first use. `onUnknownKid` hears of a `kid` no key has (a key ring may be behind).
 */
function keyResolver(byKid: ReadonlyMap<string, PublishedKey>, onUnknownKid?: () => void): JWTVerifyGetKey {
  return function sessionKeyFor(header) {
    const entry = typeof header.kid === "string" ? byKid.get(header.kid) : undefined;
    if (!entry) onUnknownKid?.();
    // jose's own refusal, so its code (ERR_JWKS_NO_MATCHING_KEY) is what the log says.
    if (!entry || entry.jwk.alg !== header.alg) throw new JWKSNoMatchingKey();
    return entry.key;
  };
}

/** The keys as tokens use them: `signing` signs; every published key (the first of a `kid` wins) verifies. */
export function assembleSessionKeys(
  signing: SigningKey,
  published: readonly PublishedKey[],
  onUnknownKid?: () => void,
): SessionKeys {
  const byKid = new Map<string, PublishedKey>();
  for (const entry of published) if (!byKid.has(entry.jwk.kid)) byKid.set(entry.jwk.kid, entry);
  const keys = [...byKid.values()];
  return {
    signing,
    publicJwks: { keys: keys.map((entry) => entry.jwk) },
    verificationKeys: keyResolver(byKid, onUnknownKid),
    algorithms: [...new Set(keys.map((entry) => entry.jwk.alg))],
  };
}

/**
 * Parses SESSION_KEYS (a JSON JWK Set; private keys sign, public-only ones only verify). Returns
 * every problem found; never echoes key material in a problem.
 */
export async function parseSessionKeys(raw: string): Promise<{ keys?: ConfiguredKeys; problems: string[] }> {
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
  const imported = await Promise.all(
    jwks.map((jwk, i) =>
      importSigningJwk(jwk).catch(() => {
        const what = jwk.d === undefined ? "public key" : "private key (or its public half does not match)";
        problems.push(`SESSION_KEYS key #${i + 1}: not a usable ${jwk.alg} ${what}`);
      }),
    ),
  );
  if (problems.length > 0) return { problems };

  const keys = imported.map((entry) => entry!);
  const first = keys[0]!;
  return {
    problems,
    keys: {
      ...(first.privateKey
        ? { firstPrivate: { kid: first.publicJwk.kid, alg: first.publicJwk.alg, key: first.privateKey } }
        : {}),
      published: keys.map(({ publicJwk, publicKey }) => ({ jwk: publicJwk, key: publicKey })),
    },
  };
}

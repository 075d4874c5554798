import {
  importSigningJwk,
  type PublicSigningJwk,
  type PublishedKey,
  type SigningAlgorithm,
  type SigningKey,
} from "../config/session-keys";
import { isObject } from "../config/json-shapes";
import { base64url, randomToken } from "../util/hash";

/**
 * One of the worker's own signing keys as the session store keeps it (KEY_ROTATION = "auto").
 * The public half is in the clear, so the key is published and verifies without the secret;
 * the private part is only ever stored encrypted. Times are ms since epoch.
 */
export interface StoredSigningKey {
  kid: string;
  publicJwk: PublicSigningJwk;
  /** base64url(IV ‖ AES-256-GCM ciphertext ‖ tag) of the private JWK's "d", with the `kid` as additional data. */
  wrappedD: string;
  createdAtMs: number;
  /** From when it signs: a day after it was made (published first), or at once for the first key. */
  signsFromMs: number;
}

/** A stored key, opened with the wrapping key: published always; `signing` only when it decrypted. */
export interface OpenedKey {
  record: StoredSigningKey;
  published: PublishedKey;
  signing?: SigningKey;
}

/** ES256: P-256 is what every verifier we ship (Node, Python, Go) and most others accept. */
const ALG: SigningAlgorithm = "ES256";
const EC_PARAMS = { name: "ECDSA", namedCurve: "P-256" };
/** AES-GCM's recommended 96-bit nonce, random per encryption (NIST SP 800-38D 8.2.2). */
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const fromBase64url = (value: string) =>
  Uint8Array.from(atob(value.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));

/** A new key pair, its private part encrypted under `wrappingKey` (WebCrypto: ECDSA P-256, AES-GCM). */
export async function createStoredKey(
  wrappingKey: CryptoKey,
  createdAtMs: number,
  signsFromMs: number,
): Promise<StoredSigningKey> {
  const pair = (await crypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const kid = `${new Date(createdAtMs).toISOString().slice(0, 10)}-${randomToken(6)}`;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(kid) },
    wrappingKey,
    encoder.encode(jwk.d),
  );
  const wrapped = new Uint8Array(IV_BYTES + sealed.byteLength);
  wrapped.set(iv);
  wrapped.set(new Uint8Array(sealed), IV_BYTES);
  const publicJwk: PublicSigningJwk = { kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y!, kid, alg: ALG, use: "sig" };
  return { kid, publicJwk, wrappedD: base64url(wrapped), createdAtMs, signsFromMs };
}

/** Whether a value read from the store has a stored key's shape (only the worker writes it, but a store is outside the code). */
export function isStoredKey(value: unknown): value is StoredSigningKey {
  return (
    isObject(value) &&
    typeof value.kid === "string" &&
    typeof value.wrappedD === "string" &&
    typeof value.createdAtMs === "number" &&
    typeof value.signsFromMs === "number" &&
    isObject(value.publicJwk) &&
    value.publicJwk.kid === value.kid &&
    value.publicJwk.alg === ALG
  );
}

/**
 * Imports a stored key: the public half always; the private one when it decrypts under
 * `wrappingKey` (a wrong KEY_WRAPPING_SECRET, or a record tampered with, leaves it verify-only,
 * and says so in `unwrapFailed`).
 */
export async function openStoredKey(
  record: StoredSigningKey,
  wrappingKey: CryptoKey,
): Promise<OpenedKey & { unwrapFailed?: boolean }> {
  let d: string | undefined;
  try {
    const wrapped = fromBase64url(record.wrappedD);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: wrapped.slice(0, IV_BYTES), additionalData: encoder.encode(record.kid) },
      wrappingKey,
      wrapped.slice(IV_BYTES),
    );
    d = decoder.decode(plain);
  } catch {
    d = undefined;
  }
  const imported = await importSigningJwk({ ...record.publicJwk, ...(d === undefined ? {} : { d }) });
  const published = { jwk: imported.publicJwk, key: imported.publicKey };
  if (!imported.privateKey) return { record, published, unwrapFailed: true };
  return { record, published, signing: { kid: record.kid, alg: ALG, key: imported.privateKey } };
}

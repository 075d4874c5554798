// The RSA keys of the demo's parties (the providers, the RISC transmitter, the service accounts,
// the workload issuer): a fresh key is a quarter of a second of CPU, so `npm start` makes them once
// and keeps them in .demo/, and the servers take a kept one instead of making their own.
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK } from "jose";

/** Private JWK members: removed to publish a key, and never printed. */
export const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/**
 * A fresh RS256 private JWK (2048 bits) with a `kid`, `alg` and `use`.
 * @returns {Promise<import("jose").JWK & {kid: string, alg: "RS256", use: "sig"}>}
 */
export async function generateRsaJwk() {
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `local-${randomBytes(6).toString("hex")}`, alg: "RS256", use: "sig" };
}

/**
 * The key pair of a private RS256 JWK, or a fresh pair without one. The private key is extractable
 * (a service account's key is exported as PEM).
 * @param {import("jose").JWK} [jwk]
 * @returns {Promise<{privateKey: CryptoKey, publicKey: CryptoKey}>}
 */
export async function rsaKeyPair(jwk) {
  if (!jwk) return generateKeyPair("RS256", { extractable: true });
  const publicJwk = Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name)));
  const [privateKey, publicKey] = await Promise.all([
    importJWK(jwk, "RS256", { extractable: true }),
    importJWK(publicJwk, "RS256"),
  ]);
  return { privateKey, publicKey };
}

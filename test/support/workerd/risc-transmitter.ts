import { exportJWK, generateKeyPair } from "jose";

/**
 * The provider's RISC transmitter (https://issuer.test, outside this machine) for tests inside
 * workerd: its risc-configuration and keys, for a test's fetch stand-in to serve, and the one key
 * its SETs are signed with. One key for every test file, made once per test process: the worker
 * keeps a transmitter's keys for as long as its isolate lives, and the files run in one isolate
 * (vitest.config.ts), so a second key under the same issuer would meet the first one's cached key
 * set. The e2e tests push real SETs from a real fake transmitter instead.
 */
export const RISC_ISSUER = "https://issuer.test/";
export const RISC_KID = "risc-1";

let keyPair: Promise<CryptoKeyPair> | undefined;

/** The transmitter's signing key (RS256, `kid` RISC_KID). */
export async function riscSigningKey(): Promise<CryptoKey> {
  return (await (keyPair ??= generateKeyPair("RS256"))).privateKey;
}

/** The transmitter's answer to `url` (its risc-configuration or its keys), or undefined for any other URL. */
export async function riscTransmitterResponse(url: string): Promise<Response | undefined> {
  if (url === "https://issuer.test/.well-known/risc-configuration")
    return Response.json({ issuer: RISC_ISSUER, jwks_uri: "https://issuer.test/risc/jwks" });
  if (url === "https://issuer.test/risc/jwks") {
    const { publicKey } = await (keyPair ??= generateKeyPair("RS256"));
    return Response.json({ keys: [{ ...(await exportJWK(publicKey)), kid: RISC_KID, alg: "RS256", use: "sig" }] });
  }
  return undefined;
}

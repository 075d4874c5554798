// Types for keys.mjs, so TypeScript tests can import it.
export interface PrivateSigningJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  d: string;
  kid: string;
  alg: "ES256" | "EdDSA";
}
export function generateSigningKey(alg?: "ES256" | "EdDSA"): Promise<PrivateSigningJwk>;
export function generateKeySet(alg?: "ES256" | "EdDSA"): Promise<{ keys: PrivateSigningJwk[] }>;
export function fetchPublishedKeys(url: string): Promise<Omit<PrivateSigningJwk, "d">[]>;
/** `npm run keys` with `argv`: its exit code. A generated key set goes to `io.stdout` (default: the process's). */
export function main(argv: string[], io?: { stdout?: { write(text: string): unknown } }): Promise<number>;

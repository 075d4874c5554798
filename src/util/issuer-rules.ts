/**
 * Rules every party we trust by URL shares (the provider, workload issuers, the RISC transmitter,
 * preview hosts), stated once.
 */

/** The hosts that may be reached over plain http: local development and tests only. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https, or plain http on a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

/** `value` as a URL when it is one that isSecureOrLoopback() accepts. */
export function secureOrLoopbackUrl(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return isSecureOrLoopback(url) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Signature algorithms accepted from anyone else's tokens (ID tokens, workload tokens, security
 * events): asymmetric only, so never `none` or an HMAC keyed with a public key.
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.1
 */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

/** Google's issuer, as discovery names it. */
export const GOOGLE_ISSUER = "https://accounts.google.com";
/**
 * The other spelling Google's tokens may carry in `iss`.
 * @see https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken
 */
export const GOOGLE_ISSUER_HOST = "accounts.google.com";

/** An issuer as both of Google's spellings compare (and without a trailing slash, as Google's SETs have it). */
export function canonicalIssuer(iss: string): string {
  const trimmed = iss.replace(/\/$/, "");
  return trimmed === GOOGLE_ISSUER_HOST ? GOOGLE_ISSUER : trimmed;
}

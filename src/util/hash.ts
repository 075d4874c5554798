import { encode as base64urlEncode } from "jose/base64url";

const encoder = new TextEncoder();

/** base64url without padding, as JOSE and our KV keys use it: jose's encoder, which signing needs anyway. */
export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  return base64urlEncode(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

/** `bytes` random bytes from the platform CSPRNG, base64url-encoded. */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** SHA-256 of a string, base64url: what KV keys are built from instead of raw input. */
export async function sha256(value: string): Promise<string> {
  return base64url(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

import { base64url, randomToken } from "../util/hash";

/**
 * Refresh tokens of one family form a chain: each token's successor is
 * HMAC-SHA256(family secret, token). So every holder of a just-rotated token gets the same
 * successor (two tabs, or an owner and a thief, even at two locations that cannot see each
 * other's writes yet): a session never forks. The secret lives with the family, the raw token
 * only in the cookie, and the store keeps only SHA-256 hashes of tokens: nothing in storage
 * alone yields a usable token.
 */
export async function successorOf(familySecret: string, token: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(familySecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return base64url(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
}

/** 32 random bytes, base64url: the shape of every token and family secret we make. */
export const newToken = () => randomToken(32);
/** 16 random bytes, base64url: family ids. */
export const newFamilyId = () => randomToken(16);

/**
 * The refresh credential in the cookie: `<familyId>.<token>`, base64url of 16 and 32 random
 * bytes. The family id lets a store read the family in parallel with the token; only the token
 * is secret. Anything else is not ours and costs no storage read.
 */
const CREDENTIAL = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function formatCredential(familyId: string, token: string): string {
  return `${familyId}.${token}`;
}

export function parseCredential(credential: string): { familyId: string; token: string } | undefined {
  const match = CREDENTIAL.exec(credential);
  return match ? { familyId: match[1]!, token: match[2]! } : undefined;
}

import type { Env } from "../env";
import { oneOf, required, text } from "./env-values";
import { fix } from "./fixes";
import { assembleSessionKeys, parseSessionKeys, type PublishedKey, type SessionKeys } from "./session-keys";

export type KeyRotationMode = "manual" | "auto";

/** KEY_ROTATION = "auto": the worker makes, keeps and rotates its own signing keys (docs/operating.md, "Signing keys"). */
export interface KeyRotation {
  /** KEY_ROTATION_DAYS in seconds: how long each key signs before the next one takes over. */
  periodSeconds: number;
  /** AES-GCM key derived from KEY_WRAPPING_SECRET: every stored private key is encrypted under it. */
  wrappingKey: CryptoKey;
}

export const DEFAULT_KEY_ROTATION_DAYS = 30;
/** A key signs for at least a day (it is published a day before), and at most a year. */
const MAX_KEY_ROTATION_DAYS = 365;
/** 256 bits: the secret is the only thing between a copy of the store and our private keys. */
const MIN_WRAPPING_SECRET_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/**
 * HKDF's `info` (RFC 5869 3.2): binds the derived key to this one use, so the same secret could
 * never be read as a key for anything else.
 * @see https://www.rfc-editor.org/rfc/rfc5869#section-3.2
 */
const WRAPPING_KEY_INFO = new TextEncoder().encode("edge-auth-worker signing-key wrapping v1");

/** The bytes of a base64url secret (padding tolerated), or undefined when it is not base64url. */
function base64urlBytes(value: string): Uint8Array | undefined {
  const bare = value.replace(/=+$/, "");
  if (!BASE64URL.test(bare) || bare.length % 4 === 1) return undefined;
  const binary = atob(bare.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** The AES-256-GCM key for wrapping stored signing keys: HKDF-SHA-256 of the secret (WebCrypto). */
async function deriveWrappingKey(secret: Uint8Array): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: WRAPPING_KEY_INFO },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Which keys sign and verify our tokens: SESSION_KEYS, KEY_ROTATION and its settings, parsed. */
export interface SigningKeySettings {
  /**
   * KEY_ROTATION = "manual": SESSION_KEYS, its first key signing. Undefined with "auto", where the
   * isolate's current keys come from the store (keys/key-ring.ts).
   */
  sessionKeys?: SessionKeys;
  /** Every key of SESSION_KEYS: published and verifying, whatever the mode (none when unset). */
  configuredKeys: readonly PublishedKey[];
  /** KEY_ROTATION = "auto": the worker's own keys, kept in the session store and rotated by the cron trigger. */
  keyRotation?: KeyRotation;
}

/**
 * SESSION_KEYS with KEY_ROTATION and its settings. "manual" (the default): SESSION_KEYS is
 * required and its first key, which signs, must be private; any other key may be public-only.
 * "auto": SESSION_KEYS is optional and only verifies. Undefined when a problem was found (all on `problems`).
 */
export async function parseSigningKeySettings(env: Env, problems: string[]): Promise<SigningKeySettings | undefined> {
  const { mode, rotation } = await parseKeyRotation(env, problems);
  const raw = mode === "manual" ? required(env, "SESSION_KEYS", problems) : text(env, "SESSION_KEYS", problems);
  const parsed = raw ? await parseSessionKeys(raw) : undefined;
  problems.push(...(parsed?.problems ?? []));
  const firstPrivate = parsed?.keys?.firstPrivate;
  if (mode === "manual" && parsed?.keys && !firstPrivate)
    problems.push(`SESSION_KEYS key #1: must be a private key (with "d")${fix("firstKeyPrivate")}`);
  const configuredKeys = parsed?.keys?.published ?? [];
  if (mode === "auto")
    return rotation && (!raw || parsed?.keys) ? { configuredKeys, keyRotation: rotation } : undefined;
  return firstPrivate ? { sessionKeys: assembleSessionKeys(firstPrivate, configuredKeys), configuredKeys } : undefined;
}

/**
 * KEY_ROTATION, KEY_ROTATION_DAYS and KEY_WRAPPING_SECRET: the mode, and with "auto" the
 * rotation period and the wrapping key. Every problem goes onto `problems`; none names the secret's value.
 */
async function parseKeyRotation(
  env: Env,
  problems: string[],
): Promise<{ mode: KeyRotationMode; rotation?: KeyRotation }> {
  const mode = oneOf(env, "KEY_ROTATION", ["manual", "auto"], "manual", problems);
  const daysRaw = text(env, "KEY_ROTATION_DAYS", problems);
  let days = DEFAULT_KEY_ROTATION_DAYS;
  if (daysRaw !== undefined) {
    if (/^\d+$/.test(daysRaw) && Number(daysRaw) >= 1 && Number(daysRaw) <= MAX_KEY_ROTATION_DAYS)
      days = Number(daysRaw);
    else problems.push(`KEY_ROTATION_DAYS: must be a whole number of days from 1 to ${MAX_KEY_ROTATION_DAYS}`);
  }
  if (mode === "manual") return { mode };

  const secret = text(env, "KEY_WRAPPING_SECRET", problems);
  if (secret === undefined) {
    problems.push(`KEY_WRAPPING_SECRET: required with KEY_ROTATION = "auto"${fix("wrappingSecretMissing")}`);
    return { mode };
  }
  const bytes = base64urlBytes(secret);
  if (!bytes || bytes.length < MIN_WRAPPING_SECRET_BYTES) {
    problems.push(
      `KEY_WRAPPING_SECRET: must be at least ${MIN_WRAPPING_SECRET_BYTES} random bytes written as base64url${fix("wrappingSecretShort")}`,
    );
    return { mode };
  }
  return { mode, rotation: { periodSeconds: days * 86_400, wrappingKey: await deriveWrappingKey(bytes) } };
}

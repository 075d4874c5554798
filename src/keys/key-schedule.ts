/**
 * When each of the worker's own keys is published, signs, and goes (KEY_ROTATION = "auto";
 * docs/operating.md, "Signing keys"). Pure: times in, decisions out, so a test can run years of
 * it under a moved clock. Times are ms since epoch.
 *
 *   made ──(PUBLISH_LEAD_MS)──> signs ──(until the next key signs)──> superseded
 *        ──(retentionMs: the longest token it signed, plus a margin)──> removed
 *
 * The key that signs at `now` is the newest usable one whose `signsFromMs` has come (ties go to
 * the greater `kid`, so every isolate that holds the same keys picks the same one).
 */

/** What the schedule needs of a key: the stored times, and whether its private part can be used. */
export interface ScheduledKey {
  kid: string;
  signsFromMs: number;
  /** False when its private part does not decrypt: it still verifies, it never signs. */
  usable: boolean;
}

/**
 * A new key is published this long before it signs, so that every isolate (which rereads the
 * keys at least hourly) and every origin (which caches the key set for minutes) holds it first.
 */
export const PUBLISH_LEAD_MS = 86_400_000;

/**
 * The next key is made this much more than PUBLISH_LEAD_MS ahead of its time: the cron trigger
 * runs hourly, so two runs may pass (or fail) and the key still signs exactly a period after the last.
 */
export const MAKE_AHEAD_MS = 2 * 3_600_000;

const later = (a: ScheduledKey, b: ScheduledKey) =>
  a.signsFromMs > b.signsFromMs || (a.signsFromMs === b.signsFromMs && a.kid > b.kid);

/** The key that signs at `nowMs`, if any. */
export function signerAt<K extends ScheduledKey>(keys: readonly K[], nowMs: number): K | undefined {
  let signer: K | undefined;
  for (const key of keys) if (key.usable && key.signsFromMs <= nowMs && (!signer || later(key, signer))) signer = key;
  return signer;
}

/** When `key` stopped signing: the first usable key after it started to (undefined: it has not been superseded). */
function supersededAt(keys: readonly ScheduledKey[], key: ScheduledKey): number | undefined {
  let at: number | undefined;
  for (const other of keys)
    if (other.usable && later(other, key) && (at === undefined || other.signsFromMs < at)) at = other.signsFromMs;
  return at;
}

/** Whether `key` may go: superseded at least `retentionMs` ago, so nothing it signed is still alive. */
export function isRemovable(keys: readonly ScheduledKey[], key: ScheduledKey, nowMs: number, retentionMs: number) {
  const at = supersededAt(keys, key);
  return at !== undefined && at <= nowMs && at + retentionMs <= nowMs;
}

/** The keys still published at `nowMs`: every key not yet removable. */
export function publishedAt<K extends ScheduledKey>(keys: readonly K[], nowMs: number, retentionMs: number): K[] {
  return keys.filter((key) => !isRemovable(keys, key, nowMs, retentionMs));
}

export interface RotationPlan {
  /** Make a key that signs from this time (now: no key can sign; later: the next rotation). */
  createSigningFromMs?: number;
  /** Keys whose tokens have all expired. */
  removeKids: string[];
}

/**
 * What the cron trigger does at `nowMs`: remove what may go; with no key able to sign, make one
 * that signs at once; with none waiting, make the next one when the current one is within a day
 * (and MAKE_AHEAD_MS) of its period's end, to sign exactly a period after it began (or a day
 * from now, if that is later: a cron trigger that stopped for a while).
 */
export function planRotation(
  keys: readonly ScheduledKey[],
  nowMs: number,
  periodMs: number,
  retentionMs: number,
): RotationPlan {
  const removeKids = keys.filter((key) => isRemovable(keys, key, nowMs, retentionMs)).map((key) => key.kid);
  const signer = signerAt(keys, nowMs);
  if (!signer) return { createSigningFromMs: nowMs, removeKids };
  const waiting = keys.some((key) => key.usable && later(key, signer) && key.signsFromMs > nowMs);
  const dueMs = signer.signsFromMs + periodMs;
  if (waiting || nowMs < dueMs - PUBLISH_LEAD_MS - MAKE_AHEAD_MS) return { removeKids };
  return { createSigningFromMs: Math.max(dueMs, nowMs + PUBLISH_LEAD_MS), removeKids };
}

import { AuthError } from "../errors";
import { BoundedCache } from "../util/bounded-cache";
import { createSession, isSessionActive, peekSession, revokeSession, revokeUserSessions, rotateSession, type FamilyRecord, type FamilyRecords, type UserMark } from "./family-chain";
import { sha256 } from "../util/hash";
import { eventKey, familyKey, kvExpirationTtl, onceKey, revokedKey, tokenKey, userKey } from "./kv-keys";
import type { SessionStore } from "./store";

/** What the store needs of Workers KV; the binding satisfies it, and so does the test model. */
export interface SessionKv {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
}

/** Family records kept per isolate: they never change once written, so a read can be skipped. */
const MAX_CACHED_FAMILIES = 10_000;

/** KV answers a second write to a key within a second with 429 (documented limit). */
function isRateLimited(error: unknown): boolean {
  return error instanceof Error && /\b429\b/.test(error.message);
}

const unavailable = (cause: unknown) => new AuthError("ERR_SESSION_STORE_UNAVAILABLE", { cause });

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** FamilyRecords over Workers KV (and the event records): every failure is "store unavailable", never a sign-out. */
function kvRecords(kv: SessionKv, maxSessionSeconds: number, families: BoundedCache<FamilyRecord>): FamilyRecords & Pick<SessionStore, "hasEvent" | "recordEvent"> {
  const read = async <T>(key: string) => {
    try {
      return parse<T>(await kv.get(key));
    } catch (error) {
      throw unavailable(error);
    }
  };
  /** A write-once write: KV's 429 means another request wrote this record within the second. */
  const writeOnce = async (key: string, value: unknown, expiresAtMs: number, nowMs: number) => {
    try {
      await kv.put(key, JSON.stringify(value), { expirationTtl: kvExpirationTtl(expiresAtMs, nowMs) });
    } catch (error) {
      if (!isRateLimited(error)) throw unavailable(error);
    }
  };
  return {
    readToken: (hash) => read(tokenKey(hash)),
    async readFamily(familyId) {
      // Immutable records: no expiry needed for correctness (the chain checks expiresAtMs).
      const cached = families.get(familyId, 0);
      if (cached) return cached;
      const family = await read<FamilyRecord>(familyKey(familyId));
      if (family) families.set(familyId, family, Infinity);
      return family;
    },
    knownFamily: (familyId) => families.get(familyId, 0),
    readRevoked: (familyId) => read(revokedKey(familyId)),
    readUserNotBefore: (subHash) => read<UserMark>(userKey(subHash)),
    async writeFamily(familyId, family, nowMs) {
      await writeOnce(familyKey(familyId), family, family.expiresAtMs, nowMs);
      // Known here from now on: the first refresh in this isolate makes all its reads at once.
      families.set(familyId, family, Infinity);
    },
    writeToken: (hash, token, family, nowMs) => writeOnce(tokenKey(hash), token, family.expiresAtMs, nowMs),
    writeRevoked: (familyId, revoked, family, nowMs) => writeOnce(revokedKey(familyId), revoked, family.expiresAtMs, nowMs),
    // Must outlive every session that started before it: the longest a session can last.
    writeUserNotBefore: (subHash, mark, nowMs) => writeOnce(userKey(subHash), mark, nowMs + maxSessionSeconds * 1000, nowMs),
    hasEvent: async (eventId) => (await read(eventKey(await sha256(eventId)))) !== null,
    recordEvent: async (eventId, untilMs, nowMs) => writeOnce(eventKey(await sha256(eventId)), { atMs: nowMs }, untilMs, nowMs),
  };
}

/**
 * Sessions in Workers KV (key layout: kv-keys.ts). Eventually consistent: the README says
 * what that means for revocation. `maxSessionSeconds` is REFRESH_TOKEN_TTL.
 */
/**
 * A one-time value in KV: read, then written once. A second use at the same location reads the
 * record; two uses racing within the second get KV's 429 on the second write. Another location
 * may not see the record for up to KV's propagation delay (README "Preview deployments").
 */
async function claimOnceInKv(kv: SessionKv, value: string, nowMs: number, expiresAtMs: number): Promise<boolean> {
  const key = onceKey(await sha256(value));
  try {
    if ((await kv.get(key)) !== null) return false;
    await kv.put(key, JSON.stringify({ atMs: nowMs }), { expirationTtl: kvExpirationTtl(expiresAtMs, nowMs) });
    return true;
  } catch (error) {
    if (isRateLimited(error)) return false;
    throw unavailable(error);
  }
}

/** A per-isolate cache of family records; each store makes its own unless given one (tests share one across invocations). */
export const newFamilyCache = () => new BoundedCache<FamilyRecord>(MAX_CACHED_FAMILIES);

export function createKvSessionStore(kv: SessionKv, maxSessionSeconds: number, families = newFamilyCache()): SessionStore {
  const records = kvRecords(kv, maxSessionSeconds, families);
  return {
    create: (identity, nowMs, ttlSeconds) => createSession(records, identity, nowMs, ttlSeconds),
    rotate: (credential, nowMs, graceSeconds) => rotateSession(records, credential, nowMs, graceSeconds),
    peek: (credential, nowMs) => peekSession(records, credential, nowMs),
    isActive: (session, nowMs) => isSessionActive(records, session, nowMs),
    revoke: (session, nowMs, because) => revokeSession(records, session, nowMs, because),
    revokeUser: (sub, nowMs, because) => revokeUserSessions(records, sub, nowMs, because),
    hasEvent: records.hasEvent,
    recordEvent: records.recordEvent,
    claimOnce: (_sub, value, nowMs, expiresAtMs) => claimOnceInKv(kv, value, nowMs, expiresAtMs),
  };
}

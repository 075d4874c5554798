import { AuthError } from "../errors";
import { BoundedCache } from "../util/bounded-cache";
import { createSession, isSessionActive, peekSession, readSessionState, revokeSession, revokeUserSessions, rotateSession, type FamilyRecord, type FamilyRecords, type ListedFamily } from "./family-chain";
import { sha256 } from "../util/hash";
import { eventKey, familyKey, familyTokensPrefix, kvExpirationTtl, legacyTokenKey, onceKey, revokedKey, sessionIndexKey, sessionIndexPrefix, tokenKey, userKey } from "./kv-keys";
import { listSessions } from "./session-list";
import type { SessionStore } from "./store";

/** What the store needs of Workers KV; the binding satisfies it, and so does the test model. */
export interface SessionKv {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number; metadata?: unknown }): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<SessionKvPage>;
}

/** One page of a KV key listing, as the store reads it. */
export interface SessionKvPage {
  keys: { name: string; metadata?: unknown }[];
  list_complete: boolean;
  cursor?: string;
}

/**
 * Pages of a family's token list read for its last use: 3,000 rotations, more than a session
 * of REFRESH_TOKEN_TTL 30 days with an ACCESS_TOKEN_TTL of 15 minutes makes (2,880). One page
 * is one of an invocation's 1,000 KV operations.
 */
const MAX_TOKEN_PAGES = 3;

/** The listing's metadata on a `session:` key: sign-in time, expiry (ms), device, place. */
interface IndexMetadata {
  c: number;
  e: number;
  d?: string;
  p?: string;
}

function listedFamily(name: string, metadata: unknown): ListedFamily[] {
  const m = metadata as Partial<IndexMetadata> | null | undefined;
  if (!m || typeof m.c !== "number" || typeof m.e !== "number") return [];
  const familyId = name.slice(name.lastIndexOf(":") + 1);
  const facts = { ...(typeof m.d === "string" ? { device: m.d } : {}), ...(typeof m.p === "string" ? { place: m.p } : {}) };
  return [{ familyId, createdAtMs: m.c, expiresAtMs: m.e, ...facts }];
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
  const writeOnce = async (key: string, value: unknown, expiresAtMs: number, nowMs: number, metadata?: unknown) => {
    try {
      const expirationTtl = kvExpirationTtl(expiresAtMs, nowMs);
      await kv.put(key, JSON.stringify(value), { expirationTtl, ...(metadata === undefined ? {} : { metadata }) });
    } catch (error) {
      if (!isRateLimited(error)) throw unavailable(error);
    }
  };
  const list = async (prefix: string, cursor?: string) => {
    try {
      return await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
    } catch (error) {
      throw unavailable(error);
    }
  };
  return {
    readToken: (familyId, hash) => read(tokenKey(familyId, hash)),
    readLegacyToken: (hash) => read(legacyTokenKey(hash)),
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
    readUserNotBefore: async (subHash) => (await read<{ notBeforeMs: number }>(userKey(subHash)))?.notBeforeMs ?? null,
    async writeFamily(familyId, family, nowMs) {
      const { createdAtMs: c, expiresAtMs: e, device: d, place: p } = family;
      const listing: IndexMetadata = { c, e, ...(d ? { d } : {}), ...(p ? { p } : {}) };
      const index = sessionIndexKey(await sha256(family.sub), familyId);
      await Promise.all([
        writeOnce(familyKey(familyId), family, family.expiresAtMs, nowMs),
        writeOnce(index, "", family.expiresAtMs, nowMs, listing),
      ]);
      // Known here from now on: the first refresh in this isolate makes all its reads at once.
      families.set(familyId, family, Infinity);
    },
    writeToken: (hash, token, family, nowMs) =>
      writeOnce(tokenKey(token.familyId, hash), token, family.expiresAtMs, nowMs, { at: token.issuedAtMs }),
    writeRevoked: (familyId, revoked, family, nowMs) => writeOnce(revokedKey(familyId), revoked, family.expiresAtMs, nowMs),
    // Must outlive every session that started before it: the longest a session can last.
    writeUserNotBefore: (subHash, notBeforeMs, nowMs) => writeOnce(userKey(subHash), { notBeforeMs }, nowMs + maxSessionSeconds * 1000, nowMs),
    async listFamilies(subHash, nowMs, limit) {
      // One page (1,000 sessions): a person has a handful; the newest are the ones shown.
      const page = await list(sessionIndexPrefix(subHash));
      const families = page.keys
        .flatMap((key) => listedFamily(key.name, key.metadata))
        .filter((family) => family.expiresAtMs > nowMs);
      return families.sort((a, b) => b.createdAtMs - a.createdAtMs).slice(0, limit);
    },
    async lastIssuedAt(familyId) {
      let newest: number | null = null;
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TOKEN_PAGES; page++) {
        const tokens = await list(familyTokensPrefix(familyId), cursor);
        for (const key of tokens.keys) {
          const at = (key.metadata as { at?: unknown } | null | undefined)?.at;
          if (typeof at === "number" && (newest === null || at > newest)) newest = at;
        }
        if (tokens.list_complete || !tokens.cursor) break;
        cursor = tokens.cursor;
      }
      return newest;
    },
    hasEvent: async (eventId) => (await read(eventKey(await sha256(eventId)))) !== null,
    recordEvent: async (eventId, untilMs, nowMs) => writeOnce(eventKey(await sha256(eventId)), { atMs: nowMs }, untilMs, nowMs),
  };
}

/**
 * Sessions in Workers KV (key layout: kv-keys.ts). Eventually consistent: docs/session-stores.md says
 * what that means for revocation. `maxSessionSeconds` is REFRESH_TOKEN_TTL.
 */
/**
 * A one-time value in KV: read, then written once. A second use at the same location reads the
 * record; two uses racing within the second get KV's 429 on the second write. Another location
 * may not see the record for up to KV's propagation delay (docs/preview-deployments.md).
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
    create: (identity, nowMs, ttlSeconds, signIn) => createSession(records, identity, nowMs, ttlSeconds, signIn),
    rotate: (credential, nowMs, graceSeconds) => rotateSession(records, credential, nowMs, graceSeconds),
    peek: (credential, nowMs) => peekSession(records, credential, nowMs),
    isActive: (session, nowMs) => isSessionActive(records, session, nowMs),
    sessionState: (sub, sid, nowMs) => readSessionState(records, { familyId: sid, sub }, nowMs),
    revoke: (session, nowMs, because) => revokeSession(records, session, nowMs, because),
    revokeUser: (sub, notBeforeMs, nowMs) => revokeUserSessions(records, sub, notBeforeMs, nowMs),
    listSessions: (sub, nowMs, current) => listSessions(records, sub, nowMs, current),
    hasEvent: records.hasEvent,
    recordEvent: records.recordEvent,
    claimOnce: (_sub, value, nowMs, expiresAtMs) => claimOnceInKv(kv, value, nowMs, expiresAtMs),
  };
}

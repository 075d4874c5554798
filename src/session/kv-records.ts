import { AuthError } from "../errors";
import { personKey } from "../identity";
import type { BoundedCache } from "../util/bounded-cache";
import { sha256 } from "../util/hash";
import {
  isQuotaRefusal,
  listedFamilyOf,
  type FamilyRecord,
  type FamilyRecords,
  type ListedFamily,
  type UserMark,
} from "./family-model";
import {
  eventKey,
  familyKey,
  familyTokensPrefix,
  kvExpirationTtl,
  revokedKey,
  sessionIndexKey,
  sessionIndexPrefix,
  tokenKey,
  userKey,
} from "./kv-keys";
import type { SessionStore } from "./store";

/** What the store needs of Workers KV; the binding satisfies it, and so does the test model. */
export interface SessionKv {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
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

/**
 * A `session:` key's metadata: the family as the listing shows it, written with the key at
 * sign-in. Trusted as every record here is (only this store writes the namespace).
 */
const listedFamily = (metadata: unknown) => (metadata ? [metadata as ListedFamily] : []);

/** KV answers a second write to a key within a second with 429 (documented limit). */
export const isRateLimited = (error: unknown) => error instanceof Error && /\b429\b/.test(error.message);

/**
 * Workers Free refuses each kind of KV operation past its daily quota until 00:00 UTC with
 * "KV put() limit exceeded for the day." (get, delete, list alike): not an outage.
 * @see https://developers.cloudflare.com/kv/platform/limits/
 */
const isDailyLimit = (error: unknown) => error instanceof Error && /limit exceeded for the day/.test(error.message);

export const unavailable = (cause: unknown) =>
  new AuthError(isDailyLimit(cause) ? "ERR_SESSION_STORE_QUOTA" : "ERR_SESSION_STORE_UNAVAILABLE", { cause });

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** FamilyRecords over Workers KV (and the event records): every failure is "store unavailable", never a sign-out. */
export function kvRecords(
  kv: SessionKv,
  maxSessionSeconds: number,
  families: BoundedCache<FamilyRecord>,
): FamilyRecords & Pick<SessionStore, "hasEvent" | "recordEvent"> {
  /** A KV call: any failure is the store unavailable (or its quota spent), never a sign-out. */
  const reach = async <T>(run: () => Promise<T>) => {
    try {
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  };
  /** A write-once write or a delete: KV's 429 means another request did it within the second. */
  const raced = async (run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (!isRateLimited(error)) throw unavailable(error);
    }
  };
  const read = async <T>(key: string) => parse<T>(await reach(() => kv.get(key)));
  const writeOnce = (key: string, value: unknown, expiresAtMs: number, nowMs: number, metadata?: unknown) =>
    raced(async () => {
      const expirationTtl = kvExpirationTtl(expiresAtMs, nowMs);
      await kv.put(key, JSON.stringify(value), { expirationTtl, ...(metadata === undefined ? {} : { metadata }) });
    });
  /** The keys under `prefix`, page by page (each page one KV operation), at most `maxPages`. */
  async function* keysUnder(prefix: string, maxPages = Infinity) {
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const listed = await reach(() => kv.list({ prefix, ...(cursor ? { cursor } : {}) }));
      yield* listed.keys;
      if (listed.list_complete || !listed.cursor) return;
      cursor = listed.cursor;
    }
  }
  async function deleteFamily(familyId: string) {
    // KV's 429: this key was written or deleted within the second; ended either way.
    await raced(() => kv.delete(familyKey(familyId)));
    const cached = families.get(familyId, 0);
    if (cached) families.deleteIf(familyId, cached);
  }
  return {
    readToken: (familyId, hash) => read(tokenKey(familyId, hash)),
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
    readUserNotBefore: async (sub) => read<UserMark>(userKey(await sha256(sub))),
    async writeFamily(familyId, family, nowMs) {
      const index = sessionIndexKey(await sha256(personKey(family)), familyId);
      await Promise.all([
        writeOnce(familyKey(familyId), family, family.expiresAtMs, nowMs),
        writeOnce(index, "", family.expiresAtMs, nowMs, listedFamilyOf(familyId, family)),
      ]);
      // Known here from now on: the first refresh in this isolate makes all its reads at once.
      families.set(familyId, family, Infinity);
    },
    writeToken: (hash, token, family, nowMs) =>
      writeOnce(tokenKey(token.familyId, hash), token, family.expiresAtMs, nowMs, { at: token.issuedAtMs }),
    writeRevoked: (familyId, revoked, family, nowMs) =>
      writeOnce(revokedKey(familyId), revoked, family.expiresAtMs, nowMs),
    // Must outlive every session that started before it: the longest a session can last.
    writeUserNotBefore: async (sub, mark, nowMs) =>
      writeOnce(userKey(await sha256(sub)), mark, nowMs + maxSessionSeconds * 1000, nowMs),
    async listFamilies(sub) {
      // One page (1,000 sessions): a person has a handful.
      const prefix = sessionIndexPrefix(await sha256(sub));
      const page = await reach(() => kv.list({ prefix }));
      return page.keys.flatMap((key) => listedFamily(key.metadata));
    },
    async lastIssuedAt(familyId) {
      let newest: number | null = null;
      for await (const key of keysUnder(familyTokensPrefix(familyId), MAX_TOKEN_PAGES)) {
        const at = (key.metadata as { at?: unknown } | null | undefined)?.at;
        if (typeof at === "number" && (newest === null || at > newest)) newest = at;
      }
      return newest;
    },
    confirmFamily: async (familyId) => (await read(familyKey(familyId))) !== null,
    deleteFamily,
    async deleteUserFamilies(sub, notBeforeMs) {
      // Only while writes are refused: the person's own session index finds their families. A
      // family already deleted stays in the index: it is read (reads are plentiful), not deleted again.
      for await (const key of keysUnder(sessionIndexPrefix(await sha256(sub)))) {
        for (const family of listedFamily(key.metadata)) {
          const there = family.createdAtMs <= notBeforeMs && (await read(familyKey(family.familyId))) !== null;
          if (there) await deleteFamily(family.familyId);
        }
      }
    },
    hasEvent: async (eventId) => (await read(eventKey(await sha256(eventId)))) !== null,
    // Past the daily write quota an event goes unrecorded: what it does (revoking) is idempotent.
    recordEvent: async (eventId, untilMs, nowMs) =>
      writeOnce(eventKey(await sha256(eventId)), { atMs: nowMs }, untilMs, nowMs).catch((error: unknown) => {
        if (!isQuotaRefusal(error)) throw error;
      }),
  };
}

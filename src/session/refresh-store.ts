import { AuthError } from "../errors";
import { logEvent } from "../log";
import { randomToken, sha256 } from "./hash";
import type { Identity } from "./identity";
import { familyKey, kvExpirationTtl, tokenKey, userFamiliesPrefix, userFamilyKey } from "./kv-keys";
import { createRotationCache, type RotationCache } from "./rotation-cache";

/** A session: every refresh token descending from one sign-in shares a family. */
export interface FamilyRecord extends Identity {
  createdAt: number;
  /** Absolute end of the session, ms since epoch (REFRESH_TOKEN_TTL after sign-in). */
  expiresAt: number;
  revokedAt?: number;
  revokedBecause?: "logout" | "logout-everywhere" | "reuse";
}

interface TokenRecord {
  familyId: string;
  issuedAt: number;
  /** Set once the token has been exchanged for a successor. */
  rotatedAt?: number;
}

export interface IssuedRefreshToken {
  /** The raw token: goes into the cookie and nowhere else. */
  token: string;
  familyId: string;
  family: FamilyRecord;
}

export interface RotateOptions {
  now: number;
  graceSeconds: number;
  /** Policy applied again at every refresh (allowlists may have changed since sign-in). */
  isAllowed: (identity: Identity) => boolean;
}

/** What the store needs of Workers KV; the binding satisfies it, and so does a test wrapper. */
export interface SessionKv {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

// 32 random bytes, base64url: anything else cannot be ours and costs no KV read.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** "Sign out everywhere" revokes at most this many sessions (KV list pages of 1000). */
const MAX_LISTED_PAGES = 10;

const isolateRotations = createRotationCache<IssuedRefreshToken>();

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/**
 * Refresh-token families in Workers KV (key layout: kv-keys.ts). Create one per request;
 * `rotations` defaults to the isolate's single-flight cache.
 */
export function createKvSessionStore(kv: SessionKv, rotations: RotationCache<IssuedRefreshToken> = isolateRotations) {
  const readFamily = async (familyId: string) => parse<FamilyRecord>(await kv.get(familyKey(familyId)));
  const writeFamily = (familyId: string, family: FamilyRecord, now: number) =>
    kv.put(familyKey(familyId), JSON.stringify(family), { expirationTtl: kvExpirationTtl(family.expiresAt, now) });
  const writeToken = (hash: string, record: TokenRecord, family: FamilyRecord, now: number) =>
    kv.put(tokenKey(hash), JSON.stringify(record), { expirationTtl: kvExpirationTtl(family.expiresAt, now) });

  function refuseInactive(family: FamilyRecord | null, now: number): asserts family is FamilyRecord {
    if (!family || family.expiresAt <= now) throw new AuthError(401, "ERR_REFRESH_EXPIRED");
    if (family.revokedAt !== undefined) throw new AuthError(401, "ERR_REFRESH_REVOKED", family.revokedBecause);
  }

  async function revoke(familyId: string, family: FamilyRecord, now: number, because: NonNullable<FamilyRecord["revokedBecause"]>) {
    const revoked = { ...family, revokedAt: now, revokedBecause: because };
    await writeFamily(familyId, revoked, now);
    return revoked;
  }

  async function rotateInKv(token: string, hash: string, { now, graceSeconds, isAllowed }: RotateOptions): Promise<IssuedRefreshToken> {
    const record = parse<TokenRecord>(await kv.get(tokenKey(hash)));
    if (!record) throw new AuthError(401, "ERR_REFRESH_INVALID", "unknown token");
    const family = await readFamily(record.familyId);
    refuseInactive(family, now);
    if (record.rotatedAt !== undefined && now - record.rotatedAt > graceSeconds * 1000) {
      await revoke(record.familyId, family, now, "reuse");
      logEvent("warn", "refresh_reuse_detected", { code: "ERR_REFRESH_REUSED", sub: family.sub, family: record.familyId });
      throw new AuthError(401, "ERR_REFRESH_REUSED");
    }
    if (!isAllowed(family)) throw new AuthError(401, "ERR_ACCOUNT_NOT_ALLOWED", "allowlist changed");

    const successor = randomToken(32);
    await writeToken(await sha256(successor), { familyId: record.familyId, issuedAt: now }, family, now);
    if (record.rotatedAt === undefined) {
      try {
        await writeToken(hash, { ...record, rotatedAt: now }, family, now);
      } catch (error) {
        // Only another isolate rotating the same token at the same moment gets here (KV's
        // one-write-per-key-per-second limit); it wrote the same mark, so nothing is lost.
        logEvent("warn", "refresh_mark_failed", { family: record.familyId, reason: String(error).slice(0, 120) });
      }
    }
    return { token: successor, familyId: record.familyId, family };
  }

  return {
    /** Starts a session after sign-in: a new family and its first refresh token. */
    async createFamily(identity: Identity, ttlSeconds: number, now: number): Promise<IssuedRefreshToken> {
      const familyId = randomToken(16);
      const family: FamilyRecord = { ...identity, createdAt: now, expiresAt: now + ttlSeconds * 1000 };
      const token = randomToken(32);
      const ttl = { expirationTtl: kvExpirationTtl(family.expiresAt, now) };
      await writeFamily(familyId, family, now);
      await writeToken(await sha256(token), { familyId, issuedAt: now }, family, now);
      await kv.put(userFamilyKey(await sha256(identity.sub), familyId), "", ttl);
      return { token, familyId, family };
    },

    /**
     * Exchanges a refresh token for a successor in the same family. A token already rotated is
     * accepted again for `graceSeconds` (parallel tabs, a lost response); later, presenting it
     * is treated as theft and revokes the whole family. Throws AuthError(401) on refusal.
     */
    async rotate(token: string, options: RotateOptions): Promise<IssuedRefreshToken> {
      if (!TOKEN_SHAPE.test(token)) throw new AuthError(401, "ERR_REFRESH_INVALID", "malformed");
      const hash = await sha256(token);
      const shared = rotations.get(hash, options.now, options.graceSeconds * 1000);
      const issued = shared && (await shared.catch(() => undefined));
      if (issued) {
        // KV stays the judge; the cache only saves writes. Reads show a rotation made
        // elsewhere more than the grace period ago, or a logout that landed since.
        const record = parse<TokenRecord>(await kv.get(tokenKey(hash)));
        const stale = record?.rotatedAt !== undefined && options.now - record.rotatedAt > options.graceSeconds * 1000;
        if (!stale) {
          refuseInactive(await readFamily(issued.familyId), options.now);
          return issued;
        }
      }
      const result = rotateInKv(token, hash, options);
      rotations.set(hash, options.now, result);
      return result;
    },

    /** The family a refresh token belongs to, without using it (for logout). */
    async familyOf(token: string): Promise<{ familyId: string; family: FamilyRecord | null } | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const record = parse<TokenRecord>(await kv.get(tokenKey(await sha256(token))));
      return record ? { familyId: record.familyId, family: await readFamily(record.familyId) } : undefined;
    },

    /** True while the family exists, has not expired and has not been revoked (REVOCATION_CHECK). */
    async isFamilyActive(familyId: string, now: number): Promise<boolean> {
      const family = await readFamily(familyId);
      return family !== null && family.expiresAt > now && family.revokedAt === undefined;
    },

    /** Ends a session: every token of the family stops working (at this location at once). */
    async revokeFamily(familyId: string, now: number): Promise<FamilyRecord | undefined> {
      const family = await readFamily(familyId);
      if (!family || family.revokedAt !== undefined) return family ?? undefined;
      return revoke(familyId, family, now, "logout");
    },

    /** "Sign out everywhere": revokes every live session of `sub`. Returns how many. */
    async revokeAllFamilies(sub: string, now: number): Promise<number> {
      const prefix = userFamiliesPrefix(await sha256(sub));
      let cursor: string | undefined;
      let revoked = 0;
      for (let page = 0; page < MAX_LISTED_PAGES; page++) {
        const listed = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const { name } of listed.keys) {
          const familyId = name.slice(prefix.length);
          const family = await readFamily(familyId);
          if (family && family.revokedAt === undefined && family.sub === sub) {
            await revoke(familyId, family, now, "logout-everywhere");
            revoked++;
          }
        }
        if (listed.list_complete || !listed.cursor) break;
        cursor = listed.cursor;
      }
      return revoked;
    },
  };
}

export type SessionStore = ReturnType<typeof createKvSessionStore>;

const storesByBinding = new WeakMap<SessionKv, SessionStore>();

/** The isolate's store for this KV binding (the binding object lives as long as the isolate). */
export function sessionStoreFor(kv: SessionKv): SessionStore {
  let store = storesByBinding.get(kv);
  if (!store) storesByBinding.set(kv, (store = createKvSessionStore(kv)));
  return store;
}

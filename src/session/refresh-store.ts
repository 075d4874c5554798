import { AuthError } from "../errors";
import { logEvent } from "../log";
import { randomToken, sha256 } from "./hash";
import type { Identity } from "./identity";
import { familyKey, kvExpirationTtl, tokenKey } from "./kv-keys";

/** A session: every refresh token descending from one sign-in shares a family. */
export interface FamilyRecord extends Identity {
  createdAt: number;
  /** Absolute end of the session, ms since epoch (REFRESH_TOKEN_TTL after sign-in). */
  expiresAt: number;
  revokedAt?: number;
  revokedBecause?: "logout" | "reuse";
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

// 32 random bytes, base64url: anything else cannot be ours and costs no KV read.
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Refresh-token families in Workers KV. Stateless: create one per request or per isolate. */
export function createKvSessionStore(kv: KVNamespace) {
  async function putToken(token: string, record: TokenRecord, family: FamilyRecord, now: number) {
    await kv.put(tokenKey(await sha256(token)), JSON.stringify(record), { expirationTtl: kvExpirationTtl(family.expiresAt, now) });
  }

  async function readFamily(familyId: string): Promise<FamilyRecord | null> {
    return kv.get<FamilyRecord>(familyKey(familyId), "json");
  }

  async function writeFamily(familyId: string, family: FamilyRecord, now: number) {
    await kv.put(familyKey(familyId), JSON.stringify(family), { expirationTtl: kvExpirationTtl(family.expiresAt, now) });
  }

  return {
    /** Starts a session after sign-in: a new family and its first refresh token. */
    async createFamily(identity: Identity, ttlSeconds: number, now: number): Promise<IssuedRefreshToken> {
      const familyId = randomToken(16);
      const family: FamilyRecord = { ...identity, createdAt: now, expiresAt: now + ttlSeconds * 1000 };
      const token = randomToken(32);
      await writeFamily(familyId, family, now);
      await putToken(token, { familyId, issuedAt: now }, family, now);
      return { token, familyId, family };
    },

    /**
     * Exchanges a refresh token for a successor in the same family. A token already rotated is
     * accepted again for `graceSeconds` (parallel tabs, a lost response); later, presenting it
     * is treated as theft and revokes the whole family. Throws AuthError(401) on refusal.
     */
    async rotate(token: string, { now, graceSeconds, isAllowed }: RotateOptions): Promise<IssuedRefreshToken> {
      if (!TOKEN_SHAPE.test(token)) throw new AuthError(401, "ERR_REFRESH_INVALID", "malformed");
      const hash = await sha256(token);
      const record = await kv.get<TokenRecord>(tokenKey(hash), "json");
      if (!record) throw new AuthError(401, "ERR_REFRESH_INVALID", "unknown token");
      const family = await readFamily(record.familyId);
      if (!family || family.expiresAt <= now) throw new AuthError(401, "ERR_REFRESH_EXPIRED");
      if (family.revokedAt !== undefined) throw new AuthError(401, "ERR_REFRESH_REVOKED", family.revokedBecause);
      if (record.rotatedAt !== undefined && now - record.rotatedAt > graceSeconds * 1000) {
        await writeFamily(record.familyId, { ...family, revokedAt: now, revokedBecause: "reuse" }, now);
        logEvent("warn", "refresh_reuse_detected", { code: "ERR_REFRESH_REUSED", sub: family.sub, family: record.familyId });
        throw new AuthError(401, "ERR_REFRESH_REUSED");
      }
      if (!isAllowed(family)) throw new AuthError(401, "ERR_ACCOUNT_NOT_ALLOWED", "allowlist changed");

      const successor = randomToken(32);
      await putToken(successor, { familyId: record.familyId, issuedAt: now }, family, now);
      if (record.rotatedAt === undefined) {
        // KV allows one write per key per second: parallel refreshes of one token all try to
        // mark it, and losing that race is harmless because the winner wrote the same mark.
        try {
          await putToken(token, { ...record, rotatedAt: now }, family, now);
        } catch (error) {
          logEvent("warn", "refresh_mark_failed", { family: record.familyId, reason: String(error).slice(0, 120) });
        }
      }
      return { token: successor, familyId: record.familyId, family };
    },

    /** The family a refresh token belongs to, without using it (for logout). */
    async familyOf(token: string): Promise<string | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const record = await kv.get<TokenRecord>(tokenKey(await sha256(token)), "json");
      return record?.familyId;
    },

    /** Ends a session: every token of the family stops working (at this location at once). */
    async revokeFamily(familyId: string, now: number): Promise<FamilyRecord | undefined> {
      const family = await readFamily(familyId);
      if (!family || family.revokedAt !== undefined) return family ?? undefined;
      const revoked = { ...family, revokedAt: now, revokedBecause: "logout" as const };
      await writeFamily(familyId, revoked, now);
      return revoked;
    },
  };
}

export type SessionStore = ReturnType<typeof createKvSessionStore>;

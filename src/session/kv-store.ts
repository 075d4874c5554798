import { BoundedCache } from "../util/bounded-cache";
import { sha256 } from "../util/hash";
import { createDailyShares, type DailyShares } from "./daily-shares";
import {
  createSession,
  peekSession,
  readSessionState,
  revokeSession,
  revokeUserSessions,
  rotateSession,
  type FamilyRecord,
} from "./family-model";
import { kvExpirationTtl, onceKey } from "./kv-keys";
import { isRateLimited, kvRecords, unavailable, type SessionKv } from "./kv-records";
import { spendingOf } from "./kv-spending";
import { listSessions } from "./session-list";
import type { SessionStore } from "./store";

export type { SessionKv } from "./kv-records";

/** Family records kept per isolate: they never change once written, so a read can be skipped. */
const MAX_CACHED_FAMILIES = 10_000;

/**
 * A one-time value in KV: read, then written once. A second use at the same location reads the
 * record; two uses racing within the second get KV's 429 on the second write. Another location
 * may not see the record for up to KV's propagation delay (docs/host-names.md, "Preview deployments").
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

/**
 * What a store made for one of the worker's requests charges: the isolate's ledger of daily
 * shares and the client's address (none in local development). Without a ledger nothing is
 * charged or refused, and no listing is kept (a store used on its own: tests, the bench).
 */
export interface KvSpender {
  address?: string;
  shares?: DailyShares;
}

const UNLIMITED = createDailyShares({
  perPayer: { reads: Infinity, writes: Infinity, lists: Infinity },
  rotationWrites: Infinity,
});

/**
 * Sessions in Workers KV (key layout: kv-keys.ts). Eventually consistent: docs/capacity.md, "Session stores"
 * says what that means for revocation. `maxSessionSeconds` is REFRESH_TOKEN_TTL. Made for one
 * request: what it reads, writes and lists is charged to that request's person and
 * `spender.address` (daily-shares.ts), and refused past their shares, except sessionState (a
 * relayed socket's checks, REVOCATION_CHECK) and the provider's security events, only counted.
 */
export function createKvSessionStore(
  kv: SessionKv,
  maxSessionSeconds: number,
  families = newFamilyCache(),
  spender: KvSpender = {},
): SessionStore {
  const stored = kvRecords(kv, maxSessionSeconds, families);
  const spending = spendingOf(stored, spender.shares ?? UNLIMITED, spender.address, spender.shares !== undefined);
  const { refusing: records, counting } = spending;
  return {
    create: (identity, nowMs, ttlSeconds, signIn) => createSession(records, identity, nowMs, ttlSeconds, signIn),
    rotate: (credential, nowMs, graceSeconds) => rotateSession(records, credential, nowMs, graceSeconds),
    peek: (credential) => peekSession(records, credential),
    isActive: async (session, nowMs) => (await readSessionState(records, session, nowMs)).active,
    sessionState: (sub, sid, nowMs) => readSessionState(counting, { familyId: sid, sub }, nowMs),
    revoke: (session, nowMs, because) => revokeSession(records, session, nowMs, because),
    revokeUser: (sub, notBeforeMs, nowMs, because) =>
      revokeUserSessions(because === "risc" ? counting : records, sub, notBeforeMs, nowMs, because),
    listSessions: (sub, nowMs, current) => listSessions(records, sub, nowMs, current),
    hasEvent: stored.hasEvent,
    recordEvent: stored.recordEvent,
    claimOnce: (_sub, value, nowMs, expiresAtMs) => claimOnceInKv(kv, value, nowMs, expiresAtMs),
  };
}

import { AuthError } from "../errors";
import { BoundedCache } from "../util/bounded-cache";

/**
 * How much of Workers KV's daily quotas one person or one client address may make the worker
 * spend, and how much every rotation together may spend, so that nobody can use up a day's
 * writes or lists for everyone (docs/capacity.md, "Daily shares"). Counted in this isolate's
 * memory, per UTC day: a counter kept in KV would spend the quota it protects, and the rate-limit
 * binding has no day-long period. What a person spends across many isolates at once adds up
 * (docs/security.md says what that leaves possible).
 */

/** The KV operations a share limits: reads, writes (sign-ins, rotations) and key listings (the session list). */
export type SharedKind = "reads" | "writes" | "lists";

/**
 * Workers Free allows 100,000 KV reads, 1,000 writes and 1,000 lists a day (reset at 00:00 UTC).
 * One person or one address may spend a tenth of each; every rotation together at most four
 * fifths of the writes, which leaves a fifth for sign-ins and revocations (whose writes are never charged).
 * @see https://developers.cloudflare.com/kv/platform/pricing/
 */
export const FREE_PLAN_SHARES = { perPayer: { reads: 10_000, writes: 100, lists: 100 }, rotationWrites: 800 };
export type ShareLimits = typeof FREE_PLAN_SHARES;

/** Payers counted at once: more than an isolate serves in a day; past it the oldest are forgotten. */
const MAX_PAYERS = 20_000;
const DAY_MS = 86_400_000;

export interface DailyShares {
  /** Throws ERR_DAILY_SHARE_SPENT when a payer, or the rotations' pool, cannot spend `count` more today. */
  check(kind: SharedKind, payers: readonly string[], count: number, nowMs: number, rotation?: boolean): void;
  /** Records what was spent (after the operation: a refused or failed one costs nothing). */
  spend(kind: SharedKind, payers: readonly string[], count: number, nowMs: number, rotation?: boolean): void;
}

export function createDailyShares(limits: ShareLimits = FREE_PLAN_SHARES): DailyShares {
  const spent = new BoundedCache<Record<SharedKind, number>>(MAX_PAYERS);
  let rotations = { day: -1, writes: 0 };
  const endOfDay = (nowMs: number) => (Math.floor(nowMs / DAY_MS) + 1) * DAY_MS;
  const rotationWrites = (nowMs: number) =>
    rotations.day === Math.floor(nowMs / DAY_MS)
      ? rotations.writes
      : (rotations = { day: Math.floor(nowMs / DAY_MS), writes: 0 }).writes;
  // Keyed by day too: an entry made yesterday is not today's, whatever its expiry.
  const keyOf = (payer: string, nowMs: number) => `${Math.floor(nowMs / DAY_MS)}:${payer}`;
  const of = (payer: string, nowMs: number) =>
    spent.get(keyOf(payer, nowMs), nowMs) ?? { reads: 0, writes: 0, lists: 0 };
  return {
    check(kind, payers, count, nowMs, rotation = false) {
      const over =
        payers.some((payer) => of(payer, nowMs)[kind] + count > limits.perPayer[kind]) ||
        (rotation && kind === "writes" && rotationWrites(nowMs) + count > limits.rotationWrites);
      if (over) throw new AuthError("ERR_DAILY_SHARE_SPENT", { detail: `${kind}${rotation ? " (rotations)" : ""}` });
    },
    spend(kind, payers, count, nowMs, rotation = false) {
      for (const payer of payers) {
        const now = of(payer, nowMs);
        spent.set(keyOf(payer, nowMs), { ...now, [kind]: now[kind] + count }, endOfDay(nowMs));
      }
      if (rotation && kind === "writes") rotations.writes = rotationWrites(nowMs) + count;
    },
  };
}

/** A spent share: a rotation is then held (as past the day's quota), a sign-in or a listing answers 429. */
export const isShareRefusal = (error: unknown) => error instanceof AuthError && error.code === "ERR_DAILY_SHARE_SPENT";

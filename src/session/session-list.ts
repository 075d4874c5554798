import { personKey } from "../identity";
import { endedByUser, listedFamilyOf, signInFactsOf, type FamilyRecords, type ListedFamily } from "./family-model";
import { MAX_LISTED_SESSIONS, type SessionSummary } from "./store";

/**
 * Families whose revocation is read before the newest MAX_LISTED_SESSIONS live ones are picked:
 * a person who signed in and out many times has revoked families that have not expired yet.
 * Bounds the reads of one listing (KV allows 1,000 operations per invocation).
 */
const MAX_FAMILIES_CHECKED = 2 * MAX_LISTED_SESSIONS;

/**
 * The person's active sessions, on any store: the families it lists for them, less the revoked
 * ones and those "sign out everywhere" ended, each with its last rotation.
 */
export async function listSessions(
  records: FamilyRecords,
  sub: string,
  nowMs: number,
  current?: string,
): Promise<SessionSummary[]> {
  const [listed, userMark, currentFamily] = await Promise.all([
    records.listFamilies(sub),
    records.readUserNotBefore(sub),
    current ? records.readFamily(current) : null,
  ]);
  // The newest unexpired families are checked, whatever order a store lists them in.
  const newest = listed
    .filter((family) => family.expiresAtMs > nowMs)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)
    .slice(0, MAX_FAMILIES_CHECKED);
  // The session asking, when the listing does not show it yet (KV's list lags behind its writes).
  const unlisted =
    current &&
    currentFamily &&
    personKey(currentFamily) === sub &&
    !newest.some((family) => family.familyId === current);
  const families = unlisted ? [listedFamilyOf(current, currentFamily), ...newest] : newest;
  const candidates = families.filter((family) => family.expiresAtMs > nowMs && !endedByUser(family, userMark));
  const revoked = await Promise.all(candidates.map((family) => records.readRevoked(family.familyId)));
  const live = candidates.filter((_family, i) => revoked[i] === null);
  // The session asking is always shown, however many newer ones there are.
  const own = live.filter((family) => family.familyId === current);
  const shown = [
    ...own,
    ...live.filter((family) => family.familyId !== current).slice(0, MAX_LISTED_SESSIONS - own.length),
  ];
  const summaries = await Promise.all(
    shown.map(async (family) => summary(family, await records.lastIssuedAt(family.familyId, sub))),
  );
  return summaries.sort((a, b) => b.lastActiveAtMs - a.lastActiveAtMs || b.createdAtMs - a.createdAtMs);
}

function summary(family: ListedFamily, lastIssuedAtMs: number | null): SessionSummary {
  const { familyId, createdAtMs } = family;
  return {
    familyId,
    createdAtMs,
    lastActiveAtMs: Math.max(createdAtMs, lastIssuedAtMs ?? 0),
    ...signInFactsOf(family),
  };
}

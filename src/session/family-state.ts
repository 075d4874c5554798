import { identityOf, personKey } from "../identity";
import { currentFamily, endedByUser, type FamilyRecords } from "./family-records";
import type { RevocationReason, SessionRef, SessionState, UserRevocationReason } from "./store";
import { endFamily, isQuotaRefusal } from "./writes-refused";

/**
 * A session's state as a live request or connection reads it (is it still on?), and ending
 * sessions: one, or every one of a person. The other half of the algorithm is family-chain.ts.
 */

/**
 * Whether a session is on (it exists, is the person's, has not expired, has not been revoked and
 * "sign out everywhere" has not ended it), with the family's identity and end for a caller that
 * re-applies policy. The family is read past any cache an isolate keeps (currentFamily), so a
 * revocation made elsewhere is seen within the store's own propagation, on every path.
 */
export async function readSessionState(
  records: FamilyRecords,
  session: SessionRef,
  nowMs: number,
): Promise<SessionState> {
  // One round trip: the person is known from the session, so their mark is read alongside.
  const [family, revoked, userMark] = await Promise.all([
    currentFamily(records, session.familyId),
    records.readRevoked(session.familyId),
    records.readUserNotBefore(session.sub),
  ]);
  const ended = !family || personKey(family) !== session.sub || revoked || family.expiresAtMs <= nowMs;
  if (ended || endedByUser(family, userMark)) return { active: false };
  return { active: true, identity: identityOf(family), expiresAtMs: family.expiresAtMs };
}

export async function revokeSession(
  records: FamilyRecords,
  session: SessionRef,
  nowMs: number,
  because: RevocationReason,
): Promise<void> {
  // Already revoked or deleted: nothing to write or delete (a record is written once, even a
  // second later; a deleted family is not deleted again, each delete spends the day's quota).
  const [family, revoked] = await Promise.all([
    currentFamily(records, session.familyId),
    records.readRevoked(session.familyId),
  ]);
  if (!family || personKey(family) !== session.sub || revoked) return;
  await endFamily(records, session.familyId, { atMs: nowMs, because }, family, nowMs);
}

/**
 * Ends every session of `sub` started at or before `notBeforeMs`; the mark only ever moves
 * forward. While KV refuses writes for the day, the person's families are deleted instead.
 */
export async function revokeUserSessions(
  records: FamilyRecords,
  sub: string,
  notBeforeMs: number,
  nowMs: number,
  because: UserRevocationReason,
): Promise<void> {
  // A late security event about an earlier moment must not undo a later "sign out everywhere".
  const current = await records.readUserNotBefore(sub);
  if (current !== null && current.notBeforeMs >= notBeforeMs) return;
  try {
    await records.writeUserNotBefore(sub, { notBeforeMs, because }, nowMs);
  } catch (error) {
    if (!isQuotaRefusal(error) || !records.deleteUserFamilies) throw error;
    await records.deleteUserFamilies(sub, notBeforeMs);
  }
}

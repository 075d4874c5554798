import { AuthError } from "../errors";
import { isShareRefusal } from "./daily-shares";
import type { FamilyRecord, FamilyRecords, RevokedRecord } from "./family-records";

/**
 * The store refused a write for the rest of the day (ERR_SESSION_STORE_QUOTA: Workers KV's daily
 * quota on the Free plan, docs/capacity.md), or the person's or address's daily share of it is
 * spent (daily-shares.ts). The session algorithm then holds rotations and turns revocations into
 * deletions (a revocation's writes are never charged to a share).
 */
export const isQuotaRefusal = (error: unknown) =>
  (error instanceof AuthError && error.code === "ERR_SESSION_STORE_QUOTA") || isShareRefusal(error);

/** Ends a family: its revocation record, or while writes are refused for the day, its deletion. */
export async function endFamily(
  records: FamilyRecords,
  familyId: string,
  revoked: RevokedRecord,
  family: FamilyRecord,
  nowMs: number,
) {
  try {
    await records.writeRevoked(familyId, revoked, family, nowMs);
  } catch (error) {
    if (!isQuotaRefusal(error) || !records.deleteFamily) throw error;
    await records.deleteFamily(familyId);
  }
}

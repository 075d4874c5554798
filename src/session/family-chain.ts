import { AuthError } from "../errors";
import { identityOf, personKey, type Identity } from "../identity";
import { logEvent } from "../log";
import { sha256 } from "../util/hash";
import { endedByUser, signInFactsOf, type FamilyRecord, type FamilyRecords } from "./family-records";
import type { IssuedSession, SessionRef, SignInFacts } from "./store";
import { formatCredential, newFamilyId, newToken, parseCredential, successorOf } from "./successor";
import { isShareRefusal } from "./daily-shares";
import { endFamily, isQuotaRefusal } from "./writes-refused";

/**
 * The session algorithm (family-records.ts says what it keeps), for both stores: sign-in,
 * rotation with its reuse grace, revocation, and the reads a live connection makes.
 */

const refuse = (
  code: "ERR_REFRESH_INVALID" | "ERR_REFRESH_EXPIRED" | "ERR_REFRESH_REVOKED" | "ERR_REFRESH_REUSED",
  detail?: string,
) => new AuthError(code, { detail });

function issued(familyId: string, family: FamilyRecord, token: string): IssuedSession {
  return {
    familyId,
    sub: personKey(family),
    credential: formatCredential(familyId, token),
    identity: identityOf(family),
    expiresAtMs: family.expiresAtMs,
  };
}

export async function createSession(
  records: FamilyRecords,
  identity: Identity,
  nowMs: number,
  ttlSeconds: number,
  signIn: SignInFacts = {},
): Promise<IssuedSession> {
  const familyId = newFamilyId();
  const token = newToken();
  const family: FamilyRecord = {
    ...identityOf(identity),
    ...signInFactsOf(signIn),
    createdAtMs: nowMs,
    expiresAtMs: nowMs + ttlSeconds * 1000,
    secret: newToken(),
  };
  // One round: neither record is any use without the other, and the credential is handed out
  // only once both are written (a failed write leaves an orphan that nothing can present).
  const tokenHash = await sha256(token);
  await Promise.all([
    records.writeFamily(familyId, family, nowMs),
    records.writeToken(tokenHash, { familyId, issuedAtMs: nowMs }, family, nowMs),
  ]);
  return issued(familyId, family, token);
}

/**
 * A rotation reads everything it decides on at once: the presented token's record, the family's
 * revocation, the person's "sign out everywhere" mark and the successor's record (its parent's
 * "rotated" mark). The successor is derived from the family's secret, so with the family known
 * up front (KV: this isolate's cache) that is one round of reads; otherwise the family comes
 * first (two rounds).
 */
export async function rotateSession(
  records: FamilyRecords,
  credential: string,
  nowMs: number,
  graceSeconds: number,
): Promise<IssuedSession> {
  const parsed = parseCredential(credential);
  if (!parsed) throw refuse("ERR_REFRESH_INVALID", "malformed");
  const { familyId, token } = parsed;
  const known = records.knownFamily?.(familyId);
  const family = known ?? (await records.readFamily(familyId));
  if (!family) throw refuse("ERR_REFRESH_INVALID", "unknown token");
  const successor = await successorOf(family.secret, token);
  const successorHash = await sha256(successor);
  const [presented, revoked, rotated, userMark, stillThere] = await Promise.all([
    sha256(token).then((hash) => records.readToken(familyId, hash)),
    records.readRevoked(familyId),
    records.readToken(familyId, successorHash),
    records.readUserNotBefore(personKey(family)),
    // A family ended by deletion (endFamily) is still in this isolate's cache: read past it.
    (known && records.confirmFamily?.(familyId)) ?? true,
  ]);
  if (!presented || presented.familyId !== familyId || !stillThere) {
    throw refuse("ERR_REFRESH_INVALID", "unknown token");
  }
  if (family.expiresAtMs <= nowMs) throw refuse("ERR_REFRESH_EXPIRED");
  if (revoked) throw refuse("ERR_REFRESH_REVOKED", revoked.because);
  if (endedByUser(family, userMark)) throw refuse("ERR_REFRESH_REVOKED", userMark!.because);
  if (rotated) {
    if (nowMs - rotated.issuedAtMs > graceSeconds * 1000) {
      await endFamily(records, familyId, { atMs: nowMs, because: "reuse" }, family, nowMs);
      logEvent("warn", "refresh_reuse_detected", {
        code: "ERR_REFRESH_REUSED",
        sub: personKey(family),
        family: familyId,
      });
      throw refuse("ERR_REFRESH_REUSED");
    }
    return issued(familyId, family, successor);
  }
  try {
    await records.writeToken(successorHash, { familyId, issuedAtMs: nowMs }, family, nowMs);
  } catch (error) {
    // Writes refused for the day: every check above was made on what the store holds, so the
    // presented token stays the family's newest and is handed back (docs/capacity.md).
    if (!isQuotaRefusal(error)) throw error;
    return { ...issued(familyId, family, token), held: isShareRefusal(error) ? "share" : "quota" };
  }
  return issued(familyId, family, successor);
}

/** The session a credential's token record names, without using it: nothing else is read. */
export async function peekSession(records: FamilyRecords, credential: string): Promise<SessionRef | undefined> {
  const parsed = parseCredential(credential);
  if (!parsed) return undefined;
  const [token, family] = await Promise.all([
    sha256(parsed.token).then((hash) => records.readToken(parsed.familyId, hash)),
    records.readFamily(parsed.familyId),
  ]);
  if (!token || !family || token.familyId !== parsed.familyId) return undefined;
  return { familyId: parsed.familyId, sub: personKey(family) };
}

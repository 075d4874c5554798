import { AuthError } from "../errors";
import { identityOf, type Identity } from "../identity";
import { logEvent } from "../log";
import { sha256 } from "../util/hash";
import type { IssuedSession, RevocationReason, SessionRef, UserRevocationReason } from "./store";
import { formatCredential, newFamilyId, newToken, parseCredential, successorOf } from "./successor";

/**
 * The session algorithm, once, over a small record interface that each store implements:
 * Workers KV (eventually consistent, one write per key per second) or a Durable Object's
 * SQLite (serialized, exact). Every record is written once: a family at sign-in, a token when
 * it is issued, a revocation when it happens. A token's successor record doubles as its
 * "rotated" mark, so no flow ever writes the same key twice (only "sign out everywhere" may
 * rewrite its per-user mark, and a concurrent write there means the same thing).
 */
export interface FamilyRecord extends Identity {
  createdAtMs: number;
  /** Absolute end of the session, ms since epoch. */
  expiresAtMs: number;
  /** HMAC key of the token chain (successor.ts). */
  secret: string;
}
export interface TokenRecord {
  familyId: string;
  issuedAtMs: number;
}
export interface RevokedRecord {
  atMs: number;
  because: RevocationReason;
}
/** Sessions of a person created at or before `notBeforeMs` are over; `because` is absent in older marks. */
export interface UserMark {
  notBeforeMs: number;
  because?: UserRevocationReason;
}

export interface FamilyRecords {
  readToken(tokenHash: string): Promise<TokenRecord | null>;
  readFamily(familyId: string): Promise<FamilyRecord | null>;
  /**
   * The family, when this store already holds it without a read (KV: this isolate read or
   * wrote it before; a family record never changes). Lets a rotation make all its reads at once.
   */
  knownFamily?(familyId: string): FamilyRecord | undefined;
  readRevoked(familyId: string): Promise<RevokedRecord | null>;
  /** "Sign out everywhere" or RISC: families of this user created at or before it are revoked. */
  readUserNotBefore(subHash: string): Promise<UserMark | null>;
  /** Write-once writes: a concurrent writer of the same record wins silently (same meaning). */
  writeFamily(familyId: string, family: FamilyRecord, nowMs: number): Promise<void>;
  writeToken(tokenHash: string, token: TokenRecord, family: FamilyRecord, nowMs: number): Promise<void>;
  writeRevoked(familyId: string, revoked: RevokedRecord, family: FamilyRecord, nowMs: number): Promise<void>;
  writeUserNotBefore(subHash: string, mark: Required<UserMark>, nowMs: number): Promise<void>;
}

const refuse = (code: "ERR_REFRESH_INVALID" | "ERR_REFRESH_EXPIRED" | "ERR_REFRESH_REVOKED" | "ERR_REFRESH_REUSED", detail?: string) =>
  new AuthError(code, detail === undefined ? {} : { detail });

function issued(familyId: string, family: FamilyRecord, token: string): IssuedSession {
  return { familyId, sub: family.sub, credential: formatCredential(familyId, token), identity: identityOf(family), expiresAtMs: family.expiresAtMs };
}

export async function createSession(records: FamilyRecords, identity: Identity, nowMs: number, ttlSeconds: number): Promise<IssuedSession> {
  const familyId = newFamilyId();
  const token = newToken();
  const family: FamilyRecord = { ...identityOf(identity), createdAtMs: nowMs, expiresAtMs: nowMs + ttlSeconds * 1000, secret: newToken() };
  // One round: neither record is any use without the other, and the credential is handed out
  // only once both are written (a failed write leaves an orphan that nothing can present).
  const tokenHash = await sha256(token);
  await Promise.all([records.writeFamily(familyId, family, nowMs), records.writeToken(tokenHash, { familyId, issuedAtMs: nowMs }, family, nowMs)]);
  return issued(familyId, family, token);
}

/** The family of a credential whose token record names it, and whether it is still live. */
async function inspect(records: FamilyRecords, credential: string, nowMs: number) {
  const parsed = parseCredential(credential);
  if (!parsed) throw refuse("ERR_REFRESH_INVALID", "malformed");
  const [token, family, revoked] = await Promise.all([sha256(parsed.token).then((hash) => records.readToken(hash)), records.readFamily(parsed.familyId), records.readRevoked(parsed.familyId)]);
  if (!token || !family || token.familyId !== parsed.familyId) throw refuse("ERR_REFRESH_INVALID", "unknown token");
  return { ...parsed, family, revoked, live: family.expiresAtMs > nowMs && !revoked };
}

/** Whether "sign out everywhere" (a not-before mark at or after its start) ended the family. */
const endedByUser = (family: FamilyRecord, mark: UserMark | null) => mark !== null && family.createdAtMs <= mark.notBeforeMs;

/**
 * Everything a rotation decides on: the presented token's record, its family, the family's
 * revocation, the person's "sign out everywhere" mark and the successor's record (its parent's
 * "rotated" mark). The successor is derived from the family's secret, so with the family known
 * up front this is one round of parallel reads; otherwise the family comes first (two rounds).
 */
async function readRotation(records: FamilyRecords, credential: string, nowMs: number) {
  const parsed = parseCredential(credential);
  const known = parsed && records.knownFamily?.(parsed.familyId);
  if (!parsed || !known) {
    const inspected = await inspect(records, credential, nowMs);
    // Expired or revoked: refused on what was read, without reading more.
    if (!inspected.live) return { ...inspected, successor: "", successorHash: "", rotated: null, userMark: null };
    const successor = await successorOf(inspected.family.secret, inspected.token);
    const successorHash = await sha256(successor);
    const [rotated, userMark] = await Promise.all([records.readToken(successorHash), sha256(inspected.family.sub).then((hash) => records.readUserNotBefore(hash))]);
    return { ...inspected, successor, successorHash, rotated, userMark };
  }
  const { familyId, token } = parsed;
  const successor = await successorOf(known.secret, token);
  const successorHash = await sha256(successor);
  const [tokenRecord, revoked, rotated, userMark] = await Promise.all([
    sha256(token).then((hash) => records.readToken(hash)),
    records.readRevoked(familyId),
    records.readToken(successorHash),
    sha256(known.sub).then((hash) => records.readUserNotBefore(hash)),
  ]);
  if (!tokenRecord || tokenRecord.familyId !== familyId) throw refuse("ERR_REFRESH_INVALID", "unknown token");
  return { familyId, token, family: known, revoked, successor, successorHash, rotated, userMark };
}

export async function rotateSession(records: FamilyRecords, credential: string, nowMs: number, graceSeconds: number): Promise<IssuedSession> {
  const { familyId, family, revoked, successor, successorHash, rotated, userMark } = await readRotation(records, credential, nowMs);
  if (family.expiresAtMs <= nowMs) throw refuse("ERR_REFRESH_EXPIRED");
  if (revoked) throw refuse("ERR_REFRESH_REVOKED", revoked.because);
  if (endedByUser(family, userMark)) throw refuse("ERR_REFRESH_REVOKED", userMark?.because ?? "logout-everywhere");
  if (rotated) {
    if (nowMs - rotated.issuedAtMs > graceSeconds * 1000) {
      await records.writeRevoked(familyId, { atMs: nowMs, because: "reuse" }, family, nowMs);
      logEvent("warn", "refresh_reuse_detected", { code: "ERR_REFRESH_REUSED", sub: family.sub, family: familyId });
      throw refuse("ERR_REFRESH_REUSED");
    }
    return issued(familyId, family, successor);
  }
  await records.writeToken(successorHash, { familyId, issuedAtMs: nowMs }, family, nowMs);
  return issued(familyId, family, successor);
}

export async function peekSession(records: FamilyRecords, credential: string, nowMs: number): Promise<SessionRef | undefined> {
  try {
    const { familyId, family } = await inspect(records, credential, nowMs);
    return { familyId, sub: family.sub };
  } catch (error) {
    if (error instanceof AuthError && error.code === "ERR_REFRESH_INVALID") return undefined;
    throw error;
  }
}

export async function isSessionActive(records: FamilyRecords, session: SessionRef, nowMs: number): Promise<boolean> {
  // One round trip: the person is known from the session, so their mark is read alongside.
  const [family, revoked, userMark] = await Promise.all([
    records.readFamily(session.familyId),
    records.readRevoked(session.familyId),
    sha256(session.sub).then((subHash) => records.readUserNotBefore(subHash)),
  ]);
  if (!family || family.sub !== session.sub || revoked || family.expiresAtMs <= nowMs) return false;
  return !endedByUser(family, userMark);
}

export async function revokeSession(records: FamilyRecords, session: SessionRef, nowMs: number, because: RevocationReason): Promise<void> {
  // Already revoked: nothing to write (a record is written once, even a second later).
  const [family, revoked] = await Promise.all([records.readFamily(session.familyId), records.readRevoked(session.familyId)]);
  if (!family || family.sub !== session.sub || revoked) return;
  await records.writeRevoked(session.familyId, { atMs: nowMs, because }, family, nowMs);
}

export async function revokeUserSessions(
  records: FamilyRecords,
  sub: string,
  nowMs: number,
  because: UserRevocationReason,
): Promise<void> {
  await records.writeUserNotBefore(await sha256(sub), { notBeforeMs: nowMs, because }, nowMs);
}

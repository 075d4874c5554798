import { AuthError } from "../errors";
import { identityOf, personKey, type Identity } from "../identity";
import { logEvent } from "../log";
import { base64url, randomToken, sha256 } from "../util/hash";
import { isShareRefusal } from "./daily-shares";
import type {
  IssuedSession,
  RevocationReason,
  SessionRef,
  SessionState,
  SignInFacts,
  UserRevocationReason,
} from "./store";

/**
 * A session is a family of refresh tokens that descend from one sign-in. This module is the
 * family model, once, for both stores: what a family keeps (its records, and the small record
 * interface each store implements), how its tokens form a chain, and the session algorithm over
 * them (sign-in, rotation with its reuse grace, a session's state, revocation).
 *
 * Each store implements FamilyRecords: Workers KV (eventually consistent, one write per key per
 * second) or a Durable Object's SQLite (serialized, exact). Every record is written once: a
 * family at sign-in, a token when it is issued, a revocation when it happens. A token's
 * successor record doubles as its "rotated" mark, so no flow ever writes the same key twice
 * (only "sign out everywhere" may rewrite its per-user mark, and a concurrent write there means
 * the same thing).
 */

// What a family keeps.

/** `provider` is absent from families created before providers had ids (the default provider's). */
export interface FamilyRecord extends Omit<Identity, "provider">, SignInFacts {
  provider?: string;
  createdAtMs: number;
  /** Absolute end of the session, ms since epoch. */
  expiresAtMs: number;
  /** HMAC key of the token chain (successorOf). */
  secret: string;
}
export interface TokenRecord {
  familyId: string;
  issuedAtMs: number;
}
/** Sessions of a person created at or before `notBeforeMs` are over, `because` of what. */
export interface UserMark {
  notBeforeMs: number;
  because: UserRevocationReason;
}
export interface RevokedRecord {
  atMs: number;
  because: RevocationReason;
}

/** A family as its owner's listing finds it (session-list.ts). */
export interface ListedFamily extends SignInFacts {
  familyId: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/**
 * A person is named by `sub`, their personKey() (identity.ts): a store that builds keys from it hashes it there (kv-keys.ts); a
 * Durable Object is the person's own. Tokens arrive hashed: no store ever holds a raw one.
 */
export interface FamilyRecords {
  readToken(familyId: string, tokenHash: string): Promise<TokenRecord | null>;
  readFamily(familyId: string): Promise<FamilyRecord | null>;
  /**
   * The family, when this store already holds it without a read (KV: this isolate read or
   * wrote it before; a family record never changes). Lets a rotation make all its reads at once.
   */
  knownFamily?(familyId: string): FamilyRecord | undefined;
  readRevoked(familyId: string): Promise<RevokedRecord | null>;
  /** "Sign out everywhere": families of this user created at or before it are revoked. */
  readUserNotBefore(sub: string): Promise<UserMark | null>;
  /** Write-once writes: a concurrent writer of the same record wins silently (same meaning). */
  writeFamily(familyId: string, family: FamilyRecord, nowMs: number): Promise<void>;
  writeToken(tokenHash: string, token: TokenRecord, family: FamilyRecord, nowMs: number): Promise<void>;
  writeRevoked(familyId: string, revoked: RevokedRecord, family: FamilyRecord, nowMs: number): Promise<void>;
  writeUserNotBefore(sub: string, mark: UserMark, nowMs: number): Promise<void>;
  /** The person's families, in no order, expired ones perhaps among them (KV: eventually, one page). */
  listFamilies(sub: string): Promise<ListedFamily[]>;
  /** When the family (of `sub`) had its newest refresh token issued (its last rotation), ms; null if unknown. */
  lastIssuedAt(familyId: string, sub: string): Promise<number | null>;
  /**
   * Stores that keep families without a read (knownFamily) and may refuse writes for the day
   * (KV's daily quota) end a family by deleting its record instead (deletes have a quota of
   * their own): confirmFamily reads the record past the cache, deleteFamily and
   * deleteUserFamilies remove one family, or every family of a person started at or before `nowMs`.
   */
  confirmFamily?(familyId: string): Promise<boolean>;
  deleteFamily?(familyId: string): Promise<void>;
  deleteUserFamilies?(sub: string, nowMs: number): Promise<void>;
}

/**
 * The family as the store holds it now, for every check that exists to notice a revocation: a
 * store that keeps families without a read (knownFamily) is read past that cache, because a
 * family ended by deletion (while writes are refused) stays in the cache of every isolate that
 * knew it. One read either way; KV's own propagation (about 60 s) is the only delay left.
 */
export async function currentFamily(records: FamilyRecords, familyId: string): Promise<FamilyRecord | null> {
  const known = records.knownFamily?.(familyId);
  if (!known || !records.confirmFamily) return records.readFamily(familyId);
  return (await records.confirmFamily(familyId)) ? known : null;
}

/** Whether "sign out everywhere" (a not-before mark at or after its start) ended the family. */
export const endedByUser = (family: { createdAtMs: number }, mark: UserMark | null) =>
  mark !== null && family.createdAtMs <= mark.notBeforeMs;

/** Sign-in facts with the empty ones left out: records and listings hold only what is known. */
export const signInFactsOf = ({ device, place }: SignInFacts): SignInFacts => ({
  ...(device ? { device } : {}),
  ...(place ? { place } : {}),
});

/** A family as its owner's listing shows it. */
export const listedFamilyOf = (familyId: string, family: FamilyRecord): ListedFamily => ({
  familyId,
  createdAtMs: family.createdAtMs,
  expiresAtMs: family.expiresAtMs,
  ...signInFactsOf(family),
});

// The token chain.

/**
 * Refresh tokens of one family form a chain: each token's successor is
 * HMAC-SHA256(family secret, token). So every holder of a just-rotated token gets the same
 * successor (two tabs, or an owner and a thief, even at two locations that cannot see each
 * other's writes yet): a session never forks. The secret lives with the family, the raw token
 * only in the cookie, and the store keeps only SHA-256 hashes of tokens: nothing in storage
 * alone yields a usable token.
 */
export async function successorOf(familySecret: string, token: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(familySecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return base64url(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(token)));
}

/** 32 random bytes, base64url: the shape of every token and family secret we make. */
export const newToken = () => randomToken(32);
/** 16 random bytes, base64url: family ids. */
export const newFamilyId = () => randomToken(16);

/**
 * The refresh credential in the cookie: `<familyId>.<token>`, base64url of 16 and 32 random
 * bytes. The family id lets a store read the family in parallel with the token; only the token
 * is secret. Anything else is not ours and costs no storage read.
 */
const CREDENTIAL = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function formatCredential(familyId: string, token: string): string {
  return `${familyId}.${token}`;
}

export function parseCredential(credential: string): { familyId: string; token: string } | undefined {
  const match = CREDENTIAL.exec(credential);
  return match ? { familyId: match[1]!, token: match[2]! } : undefined;
}

// Writes refused for the day.

/**
 * The store refused a write for the rest of the day (ERR_SESSION_STORE_QUOTA: Workers KV's daily
 * quota on the Free plan, docs/capacity.md), or the person's or address's daily share of it is
 * spent (daily-shares.ts). The session algorithm then holds rotations and turns revocations into
 * deletions (a revocation's writes are never charged to a share).
 */
export const isQuotaRefusal = (error: unknown) =>
  (error instanceof AuthError && error.code === "ERR_SESSION_STORE_QUOTA") || isShareRefusal(error);

/** Revokes a family: its revocation record, or while writes are refused for the day, its deletion. */
export async function revokeFamily(
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

// Sign-in and rotation.

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
    // A family ended by deletion (revokeFamily) is still in this isolate's cache: read past it.
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
      await revokeFamily(records, familyId, { atMs: nowMs, because: "reuse" }, family, nowMs);
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

// A session's state as a live request or connection reads it (is it still on?), and ending
// sessions: one, or every one of a person.

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
  await revokeFamily(records, session.familyId, { atMs: nowMs, because }, family, nowMs);
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

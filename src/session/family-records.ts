import type { Identity } from "../identity";
import type { RevocationReason, SignInFacts, UserRevocationReason } from "./store";

/**
 * The session algorithm, once, over a small record interface that each store implements:
 * Workers KV (eventually consistent, one write per key per second) or a Durable Object's
 * SQLite (serialized, exact). Every record is written once: a family at sign-in, a token when
 * it is issued, a revocation when it happens. A token's successor record doubles as its
 * "rotated" mark, so no flow ever writes the same key twice (only "sign out everywhere" may
 * rewrite its per-user mark, and a concurrent write there means the same thing).
 */
/** `provider` is absent from families created before providers had ids (the default provider's). */
export interface FamilyRecord extends Omit<Identity, "provider">, SignInFacts {
  provider?: string;
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

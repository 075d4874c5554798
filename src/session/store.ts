import type { Identity } from "../identity";

/**
 * Where sessions (refresh-token families) live: Workers KV (kv-store.ts, the default) or a
 * Durable Object (durable-object-store.ts). Both keep the same promises, proven by one shared
 * test suite; both store refresh tokens only as hashes. Stores store: policy (allowlists) is
 * applied by the caller. Every method throws AuthError: a refusal (ERR_REFRESH_*) or
 * ERR_SESSION_STORE_UNAVAILABLE when the store cannot be reached, which must never sign
 * anyone out. Times are ms since epoch.
 */
export interface SessionStore {
  /** Starts a session after sign-in: a new family and its first refresh credential. */
  create(identity: Identity, nowMs: number, ttlSeconds: number): Promise<IssuedSession>;
  /**
   * Exchanges a refresh credential for its successor in the same family. A credential already
   * rotated is accepted again for `graceSeconds` and yields the same successor (parallel tabs,
   * a lost response); presented later, it revokes the whole family (ERR_REFRESH_REUSED).
   */
  rotate(credential: string, nowMs: number, graceSeconds: number): Promise<IssuedSession>;
  /** The session a refresh credential belongs to, without using it (logout, signing in again). */
  peek(credential: string, nowMs: number): Promise<SessionRef | undefined>;
  /** True while the session exists, has not expired and has not been revoked (REVOCATION_CHECK). */
  isActive(session: SessionRef, nowMs: number): Promise<boolean>;
  /** Ends one session: every credential of the family stops working. Idempotent. */
  revoke(session: SessionRef, nowMs: number, because: RevocationReason): Promise<void>;
  /**
   * Ends every session of `sub` that started at or before `nowMs` ("sign out everywhere", or a
   * RISC event); `because` is what a refused refresh of one of them logs.
   */
  revokeUser(sub: string, nowMs: number, because: UserRevocationReason): Promise<void>;
  /**
   * Whether a one-time event (a security event's issuer and `jti`) was recorded and its record
   * has not expired. With KV, a record made at another location may take up to 60 s to be seen.
   */
  hasEvent(eventId: string, nowMs: number): Promise<boolean>;
  /** Records a one-time event until `untilMs`; written once (recording it again changes nothing). */
  recordEvent(eventId: string, untilMs: number, nowMs: number): Promise<void>;
  /**
   * Records a one-time value of `sub`'s (a relay code's `jti`): true the first time, false when
   * it was recorded before (a replay). Kept until `expiresAtMs`, the value's own expiry.
   */
  claimOnce(sub: string, value: string, nowMs: number, expiresAtMs: number): Promise<boolean>;
}

/** Names one session: its family id and whose it is (a Durable Object store finds it by `sub`). */
export interface SessionRef {
  familyId: string;
  sub: string;
}

export interface IssuedSession extends SessionRef {
  /** The opaque refresh credential: goes into the `__Host-refresh` cookie and nowhere else. */
  credential: string;
  identity: Identity;
  /** Absolute end of the session (REFRESH_TOKEN_TTL after sign-in), ms since epoch. */
  expiresAtMs: number;
}

export type RevocationReason = "logout" | "logout-everywhere" | "reuse" | "replaced" | "not-allowed";

/** Why every session of a person ended: they signed out everywhere, or the provider said so (RISC). */
export type UserRevocationReason = "logout-everywhere" | "risc";

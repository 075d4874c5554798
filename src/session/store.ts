import type { Identity } from "../identity";

/**
 * Where sessions (refresh-token families) live: Workers KV (kv-store.ts, the default) or a
 * Durable Object (durable-object-store.ts). Both keep the same promises, proven by one shared
 * test suite; both store refresh tokens only as hashes. Stores store: policy (allowlists) is
 * applied by the caller. Every method throws AuthError: a refusal (ERR_REFRESH_*) or
 * ERR_SESSION_STORE_UNAVAILABLE when the store cannot be reached (ERR_SESSION_STORE_QUOTA when
 * it refuses writes for the rest of the day), which must never sign anyone out. Times are ms since epoch.
 */
export interface SessionStore {
  /**
   * Starts a session after sign-in: a new family and its first refresh credential. `signIn`
   * (what the person will recognise the session by) is kept with the family, written once.
   */
  create(identity: Identity, nowMs: number, ttlSeconds: number, signIn?: SignInFacts): Promise<IssuedSession>;
  /**
   * Exchanges a refresh credential for its successor in the same family. A credential already
   * rotated is accepted again for `graceSeconds` and yields the same successor (parallel tabs,
   * a lost response); presented later, it revokes the whole family (ERR_REFRESH_REUSED).
   */
  rotate(credential: string, nowMs: number, graceSeconds: number): Promise<IssuedSession>;
  /** The session a refresh credential belongs to, without using it (logout, signing in again). */
  peek(credential: string, nowMs: number): Promise<SessionRef | undefined>;
  /**
   * True while the session exists, has not expired and has not been revoked: the session routes'
   * check of their caller (a KV store refuses it past the caller's daily share, daily-shares.ts).
   */
  isActive(session: SessionRef, nowMs: number): Promise<boolean>;
  /**
   * What a live connection (a relayed WebSocket) needs to know of its session, without a
   * credential and without rotating: the reads a refresh makes (the family, its revocation, the
   * person's "sign out everywhere" mark), nothing written, never refused for a daily share.
   * `sid` is the family id. REVOCATION_CHECK makes the same check on every request.
   */
  sessionState(sub: string, sid: string, nowMs: number): Promise<SessionState>;
  /** Ends one session: every credential of the family stops working. Idempotent. */
  revoke(session: SessionRef, nowMs: number, because: RevocationReason): Promise<void>;
  /**
   * The person's active sessions (not expired, not revoked), newest activity first, at most
   * MAX_LISTED_SESSIONS. `current` is always included while active, even before a KV listing
   * shows it. With KV the listing is eventually consistent (docs/what-people-see.md, "Your sessions"); with the
   * Durable Object it is exact.
   */
  listSessions(sub: string, nowMs: number, current?: string): Promise<SessionSummary[]>;
  /**
   * Ends every session of `sub` that started at or before `notBeforeMs`: `nowMs` for "sign out
   * everywhere", the moment a security event happened for the provider's. A later mark stays.
   * `because` is what a refused refresh of one of them logs.
   */
  revokeUser(sub: string, notBeforeMs: number, nowMs: number, because: UserRevocationReason): Promise<void>;
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

/**
 * Names one session: its family id and whose it is (a Durable Object store finds it by `sub`).
 * Here and in every method, `sub` is the person's key, personKey() in identity.ts: the provider's
 * `sub`, qualified by the provider's id for every provider but the default one.
 */
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
  /**
   * Set when `credential` is the presented one, not rotated, because the store refused the write
   * for the day: KV's daily quota (`quota`) or the person's or address's share of it (`share`,
   * docs/capacity.md). The session goes on; every check was made.
   */
  held?: "quota" | "share";
}

/** A session as sessionState reads it: ended (revoked, expired, unknown), or live with whose it is. */
export type SessionState = { active: false } | { active: true; identity: Identity; expiresAtMs: number };

export type RevocationReason = "logout" | "logout-everywhere" | "reuse" | "replaced" | "not-allowed" | "ended-by-owner";

/**
 * Why every session of a person ended: they signed out everywhere, ended every session but the
 * one in use (which then continues as a new one), or the provider said so (RISC).
 */
export type UserRevocationReason = "logout-everywhere" | "ended-by-owner" | "risc";

/** What a person recognises a session by, taken from the sign-in request. Never an IP address. */
export interface SignInFacts {
  /** Browser and system, "Chrome on macOS" (http/device-name.ts). */
  device?: string;
  /** Country, and city where known, from Cloudflare's request data (http/place-name.ts). */
  place?: string;
}

/** One active session as its owner sees it (GET {AUTH_PREFIX}/sessions). Times in ms since epoch. */
export interface SessionSummary extends SignInFacts {
  familyId: string;
  createdAtMs: number;
  /** The newest rotation of its refresh token, else its sign-in. */
  lastActiveAtMs: number;
}

/** A listing shows at most this many sessions (the newest), which bounds its storage reads. */
export const MAX_LISTED_SESSIONS = 50;

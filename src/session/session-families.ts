import { DurableObject } from "cloudflare:workers";
import { AuthError, type AuthErrorCode } from "../errors";
import type { Identity } from "../identity";
import * as family from "./family-model";
import { listSessions } from "./session-list";
import { EVENTS_SCHEMA, SCHEMA, SIGNING_KEYS_SCHEMA, sqlRecords } from "./sql-records";
import type {
  IssuedSession,
  RevocationReason,
  SessionRef,
  SessionState,
  SessionSummary,
  SignInFacts,
  UserRevocationReason,
} from "./store";

/** What crosses the RPC boundary: a value, or the refusal's code (classes do not survive it). */
export type Settled<T> = { ok: true; value: T } | { ok: false; code: AuthErrorCode; detail?: string };

/** Longer than a sign-in's call to this object can take to arrive. */
const IN_FLIGHT_MS = 60_000;

const hasTable = (sql: SqlStorage, name: string) =>
  sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;

/**
 * One SQLite-backed Durable Object per user (named by SHA-256 of `sub`): every session of that
 * person, so rotation, reuse detection, revocation and "sign out everywhere" are exact, with no
 * replication lag and no per-key write limit. Tables are made only by a sign-in, so a forged
 * credential naming a user that has none costs no storage.
 */
export class SessionFamilies extends DurableObject {
  private records(create: boolean): family.FamilyRecords | undefined {
    const sql = this.ctx.storage.sql;
    if (create) sql.exec(SCHEMA);
    else if (!hasTable(sql, "families")) return undefined;
    return sqlRecords(sql);
  }

  async create(identity: Identity, nowMs: number, ttlSeconds: number, signIn?: SignInFacts): Promise<IssuedSession> {
    // Nothing to refuse: a sign-in only writes (a failure is the store's, as any other call's).
    const issued = await family.createSession(this.records(true)!, identity, nowMs, ttlSeconds, signIn);
    // Housekeeping: this person's expired sessions go, and an alarm clears the last ones.
    const sql = this.ctx.storage.sql;
    for (const table of ["families", "tokens", "revoked"]) sql.exec(`DELETE FROM ${table} WHERE expires_ms < ?`, nowMs);
    await this.ctx.storage.setAlarm(issued.expiresAtMs);
    return issued;
  }

  /** The one call that refuses: its refusal comes back as data (durable-object-store.ts throws it again). */
  async rotate(credential: string, nowMs: number, graceSeconds: number): Promise<Settled<IssuedSession>> {
    try {
      const records = this.records(false);
      if (!records) throw new AuthError("ERR_REFRESH_INVALID", { detail: "unknown user" });
      return { ok: true, value: await family.rotateSession(records, credential, nowMs, graceSeconds) };
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return { ok: false, code: error.code, detail: error.detail };
    }
  }

  async peek(credential: string): Promise<SessionRef | undefined> {
    const records = this.records(false);
    return records ? family.peekSession(records, credential) : undefined;
  }

  async sessionState(session: SessionRef, nowMs: number): Promise<SessionState> {
    const records = this.records(false);
    return records ? family.readSessionState(records, session, nowMs) : { active: false };
  }

  async revoke(session: SessionRef, nowMs: number, because: RevocationReason): Promise<void> {
    const records = this.records(false);
    if (records) await family.revokeSession(records, session, nowMs, because);
  }

  /** Exact: this object holds every session of the person, and sees every write before it. */
  async listSessions(sub: string, nowMs: number, current?: string): Promise<SessionSummary[]> {
    const records = this.records(false);
    return records ? listSessions(records, sub, nowMs, current) : [];
  }

  async revokeUser(sub: string, notBeforeMs: number, nowMs: number, because: UserRevocationReason): Promise<void> {
    await family.revokeUserSessions(this.records(true)!, sub, notBeforeMs, nowMs, because);
    // A person with no session (a security event about an account that never signed in here):
    // the mark waits for a sign-in already under way, then the alarm clears it with the rest.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nowMs + IN_FLIGHT_MS);
  }

  /** Records a one-time value's hash: true the first time. The object runs one call at a time. */
  async claimOnce(valueHash: string, nowMs: number, expiresAtMs: number): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    sql.exec(SCHEMA);
    sql.exec("DELETE FROM used_once WHERE expires_ms < ?", nowMs);
    const first =
      sql
        .exec(
          "INSERT INTO used_once VALUES (?, ?) ON CONFLICT (hash) DO NOTHING RETURNING hash",
          valueHash,
          expiresAtMs,
        )
        .toArray().length === 1;
    // A person with no session yet keeps nothing beyond the value's life (the alarm clears it).
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(expiresAtMs);
    return first;
  }

  /** Security events (only in the object the store names for them), by hashed issuer and `jti`. */
  async hasEvent(eventHash: string, nowMs: number): Promise<boolean> {
    const sql = this.ctx.storage.sql;
    if (!hasTable(sql, "events")) return false;
    return sql.exec("SELECT 1 FROM events WHERE hash = ? AND expires_ms > ?", eventHash, nowMs).toArray().length > 0;
  }

  async recordEvent(eventHash: string, untilMs: number, nowMs: number): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec(EVENTS_SCHEMA);
    sql.exec("DELETE FROM events WHERE expires_ms <= ?", nowMs);
    sql.exec("INSERT OR IGNORE INTO events VALUES (?, ?)", eventHash, untilMs);
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < untilMs) await this.ctx.storage.setAlarm(untilMs);
  }

  /** The worker's stored signing keys, as JSON text each (keys/key-store.ts reads them); exact. */
  async signingKeys(): Promise<string[]> {
    const sql = this.ctx.storage.sql;
    if (!hasTable(sql, "signing_keys")) return [];
    return sql
      .exec<{ record: string }>("SELECT record FROM signing_keys ORDER BY kid")
      .toArray()
      .map((row) => row.record);
  }

  /**
   * Adds a key (a `kid` is written once); returns every stored key. With `firstOnly`, only when
   * no key but those `firstOnly.unusable` names signs by then: of two isolates making a first key
   * at once, the second gets the first's instead of adding its own.
   */
  async addSigningKey(
    kid: string,
    signsFromMs: number,
    record: string,
    firstOnly?: { unusable: string[] },
  ): Promise<string[]> {
    const sql = this.ctx.storage.sql;
    sql.exec(SIGNING_KEYS_SCHEMA);
    const taken =
      firstOnly !== undefined &&
      sql
        .exec<{ kid: string }>("SELECT kid FROM signing_keys WHERE signs_from_ms <= ?", signsFromMs)
        .toArray()
        .some((row) => !firstOnly.unusable.includes(row.kid));
    if (!taken) sql.exec("INSERT OR IGNORE INTO signing_keys VALUES (?, ?, ?)", kid, signsFromMs, record);
    return this.signingKeys();
  }

  async removeSigningKeys(kids: string[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (hasTable(sql, "signing_keys")) for (const kid of kids) sql.exec("DELETE FROM signing_keys WHERE kid = ?", kid);
  }

  override async alarm(): Promise<void> {
    // Every session, event record and one-time value has ended: nothing here needs keeping.
    const sql = this.ctx.storage.sql;
    const tables = ["families", "events", "used_once"].filter((table) => hasTable(sql, table));
    const untils = tables.map(
      (table) => sql.exec<{ until: number | null }>(`SELECT max(expires_ms) AS until FROM ${table}`).one().until ?? 0,
    );
    const until = Math.max(0, ...untils);
    if (until > Date.now()) await this.ctx.storage.setAlarm(until);
    else await this.ctx.storage.deleteAll();
  }
}

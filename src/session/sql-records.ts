import {
  listedFamilyOf,
  type FamilyRecord,
  type FamilyRecords,
  type RevokedRecord,
  type TokenRecord,
  type UserMark,
} from "./family-model";

/**
 * The Durable Object store's tables (one SQLite database per person, session-families.ts) and the
 * session records over them.
 */

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS families (family_id TEXT PRIMARY KEY, record TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, family_id TEXT NOT NULL, issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_by_family ON tokens (family_id, issued_ms);
CREATE TABLE IF NOT EXISTS revoked (family_id TEXT PRIMARY KEY, record TEXT NOT NULL, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user_state (id INTEGER PRIMARY KEY CHECK (id = 1), not_before_ms INTEGER NOT NULL, because TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_once (hash TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);`;

export const EVENTS_SCHEMA = "CREATE TABLE IF NOT EXISTS events (hash TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL)";

/** The worker's own signing keys (KEY_ROTATION = "auto"), only in the object the store names for them. */
export const SIGNING_KEYS_SCHEMA =
  "CREATE TABLE IF NOT EXISTS signing_keys (kid TEXT PRIMARY KEY, signs_from_ms INTEGER NOT NULL, record TEXT NOT NULL)";

/** FamilyRecords over this object's SQLite: reads see every write before them, exactly. */
export function sqlRecords(sql: SqlStorage): FamilyRecords {
  const one = <T>(query: string, ...bindings: unknown[]) =>
    (sql.exec(query, ...bindings).toArray()[0] as T | undefined) ?? null;
  return {
    readToken: async (_familyId, hash) =>
      one<TokenRecord>("SELECT family_id AS familyId, issued_ms AS issuedAtMs FROM tokens WHERE hash = ?", hash),
    readFamily: async (familyId) =>
      JSON.parse(
        one<{ record: string }>("SELECT record FROM families WHERE family_id = ?", familyId)?.record ?? "null",
      ) as FamilyRecord | null,
    readRevoked: async (familyId) =>
      JSON.parse(
        one<{ record: string }>("SELECT record FROM revoked WHERE family_id = ?", familyId)?.record ?? "null",
      ) as RevokedRecord | null,
    readUserNotBefore: async () =>
      one<UserMark>("SELECT not_before_ms AS notBeforeMs, because FROM user_state WHERE id = 1"),
    writeFamily: async (familyId, family) => {
      sql.exec("INSERT OR IGNORE INTO families VALUES (?, ?, ?)", familyId, JSON.stringify(family), family.expiresAtMs);
    },
    writeToken: async (hash, token, family) => {
      sql.exec(
        "INSERT OR IGNORE INTO tokens VALUES (?, ?, ?, ?)",
        hash,
        token.familyId,
        token.issuedAtMs,
        family.expiresAtMs,
      );
    },
    writeRevoked: async (familyId, revoked, family) => {
      sql.exec("INSERT OR IGNORE INTO revoked VALUES (?, ?, ?)", familyId, JSON.stringify(revoked), family.expiresAtMs);
    },
    writeUserNotBefore: async (_sub, { notBeforeMs, because }) => {
      // The latest mark wins, with its reason: an earlier one never replaces it.
      sql.exec(
        `INSERT INTO user_state VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET
           not_before_ms = excluded.not_before_ms, because = excluded.because
           WHERE excluded.not_before_ms >= not_before_ms`,
        notBeforeMs,
        because,
      );
    },
    // Every family here is this person's: the object is theirs.
    listFamilies: async () =>
      sql
        .exec<{ family_id: string; record: string }>("SELECT family_id, record FROM families")
        .toArray()
        .map((row) => listedFamilyOf(row.family_id, JSON.parse(row.record) as FamilyRecord)),
    lastIssuedAt: async (familyId) =>
      one<{ at: number | null }>("SELECT max(issued_ms) AS at FROM tokens WHERE family_id = ?", familyId)?.at ?? null,
  };
}

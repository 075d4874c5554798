/**
 * The whole KV key layout, in one place (docs/capacity.md, "KV schema"). Keys are built only from values
 * the worker generated or hashed, never from raw client input (a family id from a cookie is
 * used only after it matched the 22-character shape we generate):
 *
 *   family:<familyId>        FamilyRecord: identity, absolute expiry, chain secret. Written
 *                            once, at sign-in.
 *   token:<familyId>:<sha256(token)>
 *                            TokenRecord: family and issue time, the time also as metadata (so
 *                            a list of the family's tokens tells when it was last used). Written
 *                            once, when issued; the successor's record is also its parent's
 *                            "rotated" mark.
 *   session:<sha256(sub)>:<familyId>
 *                            "" with the ListedFamily as metadata (id, sign-in time,
 *                            expiry, device, place): the person's list of sessions. Written
 *                            once, at sign-in.
 *                            While KV refuses writes for the day, "sign out everywhere" lists it
 *                            to find the person's families and deletes them (docs/capacity.md).
 *   revoked:<familyId>       RevokedRecord: when and why. Written once (a second revocation
 *                            within the second gets KV's 429: someone else wrote it).
 *   user:<sha256(sub)>       UserMark { notBeforeMs, because }: "sign out everywhere" or a RISC
 *                            event. Rewritten only by a later one, never within a second of the last.
 *   event:<sha256(id)>       { atMs }: a security event (RISC) already received, by its issuer
 *                            and `jti`. Written once; expires when the event would be too old.
 *   once:<sha256(value)>     { atMs }: a one-time value (a relay code's jti) was used. Written
 *                            once; expires with the value (a minute).
 *   signing-key:<kid>        "" with the StoredSigningKey as metadata (KEY_ROTATION = "auto"; the
 *                            `kid` is one the worker made): one list reads every key. Written
 *                            once; no expiry (a key outlives a stopped cron); deleted by the
 *                            cron trigger once everything it signed has expired.
 *
 * The first five expire with the session (absolute REFRESH_TOKEN_TTL); every key no sooner than
 * KV allows.
 */
export const familyKey = (familyId: string) => `family:${familyId}`;
export const tokenKey = (familyId: string, tokenHash: string) => `token:${familyId}:${tokenHash}`;
export const familyTokensPrefix = (familyId: string) => `token:${familyId}:`;
export const sessionIndexKey = (subHash: string, familyId: string) => `session:${subHash}:${familyId}`;
export const sessionIndexPrefix = (subHash: string) => `session:${subHash}:`;
export const revokedKey = (familyId: string) => `revoked:${familyId}`;
export const userKey = (subHash: string) => `user:${subHash}`;
export const eventKey = (eventHash: string) => `event:${eventHash}`;
export const onceKey = (valueHash: string) => `once:${valueHash}`;
export const SIGNING_KEYS_PREFIX = "signing-key:";
export const signingKeyKey = (kid: string) => `${SIGNING_KEYS_PREFIX}${kid}`;

/** KV rejects `expiration`/`expirationTtl` less than 60 seconds away. */
const KV_MIN_EXPIRATION_TTL_SECONDS = 60;

export function kvExpirationTtl(expiresAtMs: number, nowMs: number): number {
  return Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((expiresAtMs - nowMs) / 1000));
}

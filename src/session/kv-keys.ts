/**
 * The whole KV key layout, in one place (README "KV schema"). Keys are built only from values
 * the worker generated or hashed, never from raw client input:
 *
 *   family:<familyId>              FamilyRecord: identity, absolute expiry, revocation.
 *                                  familyId is 128 random bits we generate. Written at
 *                                  sign-in and at revocation only.
 *   token:<sha256(refreshToken)>   TokenRecord: which family, when it was rotated. Written
 *                                  when issued and once when rotated. The raw refresh token
 *                                  lives only in the browser's cookie.
 *   user:<sha256(sub)>:<familyId>  Empty marker: lets "sign out everywhere" list a user's
 *                                  sessions. Written once, at sign-in.
 *
 * All of them expire with the family (absolute REFRESH_TOKEN_TTL), never sooner than KV allows.
 */
export const familyKey = (familyId: string) => `family:${familyId}`;
export const tokenKey = (tokenHash: string) => `token:${tokenHash}`;
export const userFamiliesPrefix = (subHash: string) => `user:${subHash}:`;
export const userFamilyKey = (subHash: string, familyId: string) => `${userFamiliesPrefix(subHash)}${familyId}`;

/** KV rejects `expiration`/`expirationTtl` less than 60 seconds away. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60;

export function kvExpirationTtl(expiresAtMs: number, nowMs: number): number {
  return Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((expiresAtMs - nowMs) / 1000));
}

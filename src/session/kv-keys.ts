/**
 * The whole KV key layout, in one place (README "KV schema"):
 *
 *   family:<familyId>              FamilyRecord: identity, absolute expiry, revocation.
 *                                  familyId is 128 random bits we generate.
 *   token:<sha256(refreshToken)>   TokenRecord: which family, when it was rotated.
 *                                  The raw refresh token lives only in the browser's cookie.
 *
 * Both expire with the family (absolute REFRESH_TOKEN_TTL), never sooner than KV allows.
 */
export const familyKey = (familyId: string) => `family:${familyId}`;
export const tokenKey = (tokenHash: string) => `token:${tokenHash}`;

/** KV rejects `expiration`/`expirationTtl` less than 60 seconds away. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60;

export function kvExpirationTtl(expiresAtMs: number, nowMs: number): number {
  return Math.max(KV_MIN_EXPIRATION_TTL_SECONDS, Math.ceil((expiresAtMs - nowMs) / 1000));
}

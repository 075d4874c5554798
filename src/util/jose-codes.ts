/**
 * jose's failures by their stable code (`ERR_JWKS_TIMEOUT`, ...), not by class: importing
 * jose's `errors` namespace keeps every one of its error classes (JWE ones too) in the bundle.
 * @see https://github.com/panva/jose/blob/main/docs/util/errors/README.md
 */
export type JoseCode =
  | "ERR_JOSE_GENERIC"
  | "ERR_JOSE_ALG_NOT_ALLOWED"
  | "ERR_JWKS_TIMEOUT"
  | "ERR_JWKS_INVALID"
  | "ERR_JWKS_NO_MATCHING_KEY"
  | "ERR_JWKS_MULTIPLE_MATCHING_KEYS"
  | "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
  | "ERR_JWT_CLAIM_VALIDATION_FAILED"
  | "ERR_JWT_EXPIRED";

/** The jose code of a failure, or undefined when jose did not throw it. */
export function joseCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("ERR_J") ? code : undefined;
}

/** Whether a failure is one of jose's with one of `codes`. */
export const isJoseError = (error: unknown, ...codes: JoseCode[]): boolean =>
  codes.includes(joseCode(error) as JoseCode);

/** The claim a failed claim check names (`iss`, `aud`, `exp`, ...), or undefined. */
export function joseClaim(error: unknown): string | undefined {
  if (!isJoseError(error, "ERR_JWT_CLAIM_VALIDATION_FAILED", "ERR_JWT_EXPIRED")) return undefined;
  const claim = (error as { claim?: unknown }).claim;
  return typeof claim === "string" ? claim : undefined;
}

/**
 * An issuer's key set could not be had: no answer or a network failure (TypeError), a timeout,
 * a status other than 200 or a body that is no JSON (jose's generic error, which only its remote
 * key set throws), or JSON that is no key set. The issuer's failure, never the token's.
 */
export const keySetUnavailable = (error: unknown): boolean =>
  error instanceof TypeError || isJoseError(error, "ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC");

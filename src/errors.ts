/**
 * One error type for every refusal the worker makes. `code` is stable and goes to the log;
 * the wire only ever sees the generic text for `status` (see http/error-response.ts).
 */
export type AuthErrorCode =
  | "ERR_CONFIG"
  | "ERR_BAD_REQUEST"
  | "ERR_CROSS_SITE"
  | "ERR_NO_SESSION"
  | "ERR_LOGIN_TRANSACTION_MISSING"
  | "ERR_STATE_MISMATCH"
  | "ERR_PROVIDER_ERROR_RESPONSE"
  | "ERR_ISSUER_MISMATCH"
  | "ERR_ID_TOKEN_INVALID"
  | "ERR_EMAIL_NOT_VERIFIED"
  | "ERR_ACCOUNT_NOT_ALLOWED"
  | "ERR_PROVIDER_UNAVAILABLE"
  | "ERR_REFRESH_INVALID"
  | "ERR_REFRESH_EXPIRED"
  | "ERR_REFRESH_REVOKED"
  | "ERR_REFRESH_REUSED"
  | "ERR_ORIGIN_UNAVAILABLE"
  | "ERR_RATE_LIMITED";

export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly status: 400 | 401 | 403 | 429 | 500 | 502,
    readonly code: AuthErrorCode,
    /** For the log only; must never contain a token, cookie, code or secret. */
    readonly detail?: string,
    /** For the 403 page only: the verified e-mail of the account the allowlists refused. */
    readonly refusedEmail?: string,
  ) {
    super(code);
  }
}

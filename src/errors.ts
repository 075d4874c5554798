/**
 * One error type for every refusal the worker makes. The code decides the status (one table,
 * below); `detail` and `cause` go to the log only; the wire sees the generic text for the status
 * (http/error-response.ts). Nothing here may hold a token, cookie, code or secret.
 */
const STATUS_BY_CODE = {
  ERR_BAD_REQUEST: 400,
  ERR_LOGIN_TRANSACTION_MISSING: 400,
  ERR_STATE_MISMATCH: 400,
  ERR_PROVIDER_ERROR_RESPONSE: 400,
  ERR_ISSUER_MISMATCH: 400,
  ERR_ID_TOKEN_INVALID: 400,
  // A Security Event Token refused (RFC 8935 2.3: 400 with the error it names).
  ERR_SET_INVALID_REQUEST: 400,
  ERR_SET_INVALID_KEY: 400,
  ERR_SET_INVALID_ISSUER: 400,
  ERR_SET_INVALID_AUDIENCE: 400,
  ERR_SET_REPLAYED: 400,
  ERR_PREVIEW_HOST_NOT_ALLOWED: 400,
  ERR_RELAY_CODE_INVALID: 400,
  ERR_RELAY_CODE_REPLAYED: 400,
  ERR_NO_SESSION: 401,
  ERR_REFRESH_INVALID: 401,
  ERR_REFRESH_EXPIRED: 401,
  ERR_REFRESH_REVOKED: 401,
  ERR_REFRESH_REUSED: 401,
  // A bearer token of a TRUSTED_WORKLOADS issuer that fails a check or matches no workload.
  ERR_WORKLOAD_TOKEN_INVALID: 401,
  // A rule's maxAge: the sign-in at the provider is older (RFC 9470's insufficient_user_authentication).
  ERR_SIGN_IN_TOO_OLD: 401,
  ERR_CROSS_SITE: 403,
  ERR_EMAIL_NOT_VERIFIED: 403,
  ERR_ACCOUNT_NOT_ALLOWED: 403,
  ERR_ACCESS_DENIED: 403,
  // A verified workload on a path whose rule does not name it in "workloads".
  ERR_WORKLOAD_NOT_ADMITTED: 403,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_RATE_LIMITED: 429,
  // A person or address spent its daily share of the session store's quotas (docs/capacity.md).
  ERR_DAILY_SHARE_SPENT: 429,
  ERR_PROVIDER_UNAVAILABLE: 502,
  ERR_ORIGIN_UNAVAILABLE: 502,
  ERR_SESSION_STORE_UNAVAILABLE: 503,
  // Workers KV on the Free plan refuses writes past its daily quota until 00:00 UTC.
  ERR_SESSION_STORE_QUOTA: 503,
  ERR_DIRECTORY_UNAVAILABLE: 503,
  ERR_TRANSMITTER_UNAVAILABLE: 503,
  ERR_WORKLOAD_ISSUER_UNAVAILABLE: 503,
} as const;

export type AuthErrorCode = keyof typeof STATUS_BY_CODE;
export type AuthErrorStatus = (typeof STATUS_BY_CODE)[AuthErrorCode];

/**
 * Refusals that end the session, so its cookies are cleared: the refresh token is invalid,
 * expired, revoked or reused, or the person it belongs to is no longer allowed in.
 */
export const SESSION_ENDED_CODES: ReadonlySet<AuthErrorCode> = new Set([
  "ERR_REFRESH_INVALID",
  "ERR_REFRESH_EXPIRED",
  "ERR_REFRESH_REVOKED",
  "ERR_REFRESH_REUSED",
  "ERR_ACCOUNT_NOT_ALLOWED",
]);

export interface AuthErrorOptions {
  /** For the log only. */
  detail?: string;
  /** The underlying failure, for the log (its name and a bounded message); undefined is none. */
  cause?: unknown;
  /** For the 403 page only: the verified e-mail of the account the policy refused. */
  refusedEmail?: string;
  /** For a 405: the methods the route accepts (the `Allow` header). */
  allow?: string;
  /** For ERR_SIGN_IN_TOO_OLD: the `max_age` a new sign-in must meet, seconds (RFC 9470's challenge). */
  maxAgeSeconds?: number;
}

export class AuthError extends Error {
  override readonly name = "AuthError";
  readonly status: AuthErrorStatus;
  readonly detail?: string;
  readonly refusedEmail?: string;
  readonly allow?: string;
  readonly maxAgeSeconds?: number;

  constructor(
    readonly code: AuthErrorCode,
    options: AuthErrorOptions = {},
  ) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS_BY_CODE[code];
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.refusedEmail !== undefined) this.refusedEmail = options.refusedEmail;
    if (options.allow !== undefined) this.allow = options.allow;
    if (options.maxAgeSeconds !== undefined) this.maxAgeSeconds = options.maxAgeSeconds;
  }
}

/**
 * A short, token-free description of a caught value, for a log line. A library error says its
 * stable `code` (jose's ERR_JWT_EXPIRED, oauth4webapi's OAUTH_*): the deployed bundle does not keep
 * class names (wrangler.toml, keep_names), and code is what a reader searches for anyway.
 */
export function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined;
  const plain = typeof cause === "string" || typeof cause === "number" || typeof cause === "boolean";
  const described = plain ? String(cause) : "a non-Error value";
  const text = cause instanceof Error ? `${typeof code === "string" ? code : cause.name}: ${cause.message}` : described;
  return text.slice(0, 160);
}

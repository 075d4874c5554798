/** The Worker bindings, as wrangler.toml and `wrangler secret put` provide them (contract section 1). */
export interface Env {
  SESSIONS: KVNamespace;
  ORIGIN_URL?: string;
  PUBLIC_URL?: string;
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  SESSION_KEYS?: string;
  ALLOWED_EMAILS?: string;
  ALLOWED_DOMAINS?: string;
  PUBLIC_PATHS?: string;
  ACCESS_TOKEN_TTL?: string;
  REFRESH_TOKEN_TTL?: string;
  REFRESH_REUSE_GRACE?: string;
  ORIGIN_AUDIENCE?: string;
  AUTH_PREFIX?: string;
  REVOCATION_CHECK?: string;
}

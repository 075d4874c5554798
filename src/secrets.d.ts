// The worker's secrets (`wrangler secret put NAME`; `.dev.vars` locally), which `wrangler types`
// cannot see in wrangler.toml. Declared here, by name only, rather than generated from an env
// file: generated that way, the types' hash differs from the one `wrangler dev` computes, and
// every start printed "types might be out of date".
declare namespace Cloudflare {
  interface Env {
    OIDC_CLIENT_SECRET: string;
    /** Required with KEY_ROTATION = "manual"; optional (only verifies) with "auto". */
    SESSION_KEYS: string;
    /** With KEY_ROTATION = "auto": 32 random bytes, base64url; the worker's stored keys are encrypted under it. */
    KEY_WRAPPING_SECRET?: string;
    /** Optional: a Google service-account key (JSON) for Workspace group lookups. */
    GOOGLE_GROUPS_CREDENTIALS?: string;
    /**
     * Optional, a var (not in wrangler.toml unless used): several OpenID providers as JSON
     * (docs/providers.md), each with its client secret in OIDC_CLIENT_SECRET_<ID>.
     */
    OIDC_PROVIDERS?: string;
  }
}

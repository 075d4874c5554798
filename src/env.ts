/**
 * The Worker bindings (docs/configuration.md), as `npm run types` generates them from
 * wrangler.toml into types/worker-configuration.d.ts (and the secrets from src/secrets.d.ts). Every value may still be
 * missing or blank at run time; src/config/parse-config.ts checks them all.
 */
export type Env = Cloudflare.Env;

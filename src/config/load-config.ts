import type { Env } from "../env";
import { parseConfig, type ConfigResult } from "./parse-config";

const MAX_CACHED_CONFIGS = 4;
const cache = new Map<string, Promise<ConfigResult>>();

const CONFIG_NAMES = [
  "ORIGIN_URL", "PUBLIC_URL", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "SESSION_KEYS", "ALLOWED_EMAILS",
  "ALLOWED_DOMAINS", "PUBLIC_PATHS", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "REFRESH_REUSE_GRACE", "ORIGIN_AUDIENCE", "AUTH_PREFIX", "REVOCATION_CHECK",
] as const;

/**
 * The parsed configuration for these bindings, parsed (and the keys imported) once per
 * isolate. Keyed by the values themselves, since `env` need not be the same object each time.
 */
export function loadConfig(env: Env): Promise<ConfigResult> {
  // workerd hands every request of an isolate the same env object: skip the fingerprint then.
  const known = byEnvObject.get(env);
  if (known) return known;
  const result = loadByValues(env);
  byEnvObject.set(env, result);
  return result;
}

const byEnvObject = new WeakMap<Env, Promise<ConfigResult>>();

function loadByValues(env: Env): Promise<ConfigResult> {
  const key = JSON.stringify([...CONFIG_NAMES.map((name) => env[name]), typeof env.SESSIONS?.get]);
  let result = cache.get(key);
  if (!result) {
    if (cache.size >= MAX_CACHED_CONFIGS) cache.clear();
    result = parseConfig(env);
    cache.set(key, result);
  }
  return result;
}

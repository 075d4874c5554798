import type { Env } from "../env";
import { BoundedCache } from "../util/bounded-cache";
import { CLIENT_SECRET_PREFIX } from "./oidc-providers";
import { parseConfig, type Config, type ConfigResult } from "./parse-config";

/** Distinct binding sets parsed per isolate; more only in tests that vary the bindings. */
const MAX_CACHED_CONFIGS = 8;
const byValues = new BoundedCache<Promise<ConfigResult>>(MAX_CACHED_CONFIGS);
/** An env object's configuration, and the result itself once it has settled (for loadedConfig). */
interface Loaded {
  result: Promise<ConfigResult>;
  settled?: ConfigResult;
}
const byEnvObject = new WeakMap<Env, Loaded>();

/**
 * Every configuration name (var or secret) the worker reads; `npm run check` flags any other,
 * except the client secrets of OIDC_PROVIDERS, named after each provider (CLIENT_SECRET_PREFIX).
 */
export const CONFIG_NAMES = [
  "ORIGIN_URL",
  "PUBLIC_URL",
  "OIDC_ISSUER",
  "OIDC_CLIENT_ID",
  "OIDC_CLIENT_SECRET",
  "OIDC_PROVIDERS",
  "SESSION_KEYS",
  "ALLOWED_EMAILS",
  "ALLOWED_DOMAINS",
  "PUBLIC_PATHS",
  "ACCESS_TOKEN_TTL",
  "REFRESH_TOKEN_TTL",
  "REFRESH_REUSE_GRACE",
  "ORIGIN_AUDIENCE",
  "AUTH_PREFIX",
  "REVOCATION_CHECK",
  "SESSION_STORE",
  "WORKERS_PLAN",
  "ACCESS_POLICY",
  "GOOGLE_GROUPS_CREDENTIALS",
  "GOOGLE_GROUPS_ADMIN",
  "GOOGLE_API_BASE_URL",
  "GOOGLE_OAUTH_TOKEN_URL",
  "PREVIEW_HOSTS",
  "TRUSTED_WORKLOADS",
  "KEY_ROTATION",
  "KEY_ROTATION_DAYS",
  "KEY_WRAPPING_SECRET",
] as const;

/**
 * The parsed configuration for these bindings, parsed (and the keys imported) once per
 * isolate. Keyed by the values themselves, since `env` need not be the same object each time;
 * workerd hands every request of an isolate the same env object, so that is looked up first.
 */
export function loadConfig(env: Env): Promise<ConfigResult> {
  const known = byEnvObject.get(env);
  if (known) return known.result;
  const key = valuesKey(env);
  let result = byValues.get(key, 0);
  if (!result) byValues.set(key, (result = parseConfig(env)), Infinity);
  const entry: Loaded = { result };
  byEnvObject.set(env, entry);
  result.then(
    (value) => (entry.settled = value),
    () => undefined,
  );
  return result;
}

/** What makes two env objects the same configuration: every value read, and which bindings are there. */
function valuesKey(env: Env): string {
  const bindings = [
    typeof env.SESSIONS?.get,
    typeof env.SESSION_FAMILIES?.idFromName,
    typeof env.ORIGIN?.fetch,
    typeof env.AUTH_METRICS?.writeDataPoint,
  ];
  const providerSecrets = Object.entries(env).filter(([name]) => name.startsWith(CLIENT_SECRET_PREFIX));
  return JSON.stringify([...CONFIG_NAMES.map((name) => env[name]), ...bindings, ...providerSecrets]);
}

/**
 * Parses the configuration before any request asks for it (index.ts, while the isolate starts)
 * and keeps it for the requests, but only when it is valid: the problems of an invalid one (or a
 * parse that threw) are left for the first request to find again and report, in its scope and
 * with its answer.
 */
export async function preloadConfig(env: Env): Promise<Config | undefined> {
  const pending = loadConfig(env);
  const result = await pending.catch(() => undefined);
  if (result?.ok) return result.config;
  byEnvObject.delete(env);
  byValues.deleteIf(valuesKey(env), pending);
}

/**
 * The configuration for `env` without waiting, when it is already parsed: workerd gives every
 * request of an isolate the same env object, so after the first request this is one lookup, and
 * a request skips a turn of the microtask queue. Undefined: call loadConfig().
 */
export function loadedConfig(env: Env): ConfigResult | undefined {
  return byEnvObject.get(env)?.settled;
}

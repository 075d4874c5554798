import type { Env } from "../env";
import { parsePublicPath, type PublicPathPattern } from "./public-paths";
import { parseSessionKeys, type SessionKeys } from "./session-keys";

export const GOOGLE_ISSUER = "https://accounts.google.com";

/** Everything the worker needs, parsed once per isolate from the bindings (contract section 1). */
export interface Config {
  /** ORIGIN_URL without a trailing slash; request paths are appended to it. */
  originBase: string;
  /** PUBLIC_URL's origin, or undefined to take each request's own origin. */
  publicOrigin: string | undefined;
  issuer: string;
  clientId: string;
  clientSecret: string;
  sessionKeys: SessionKeys;
  allowedEmails: ReadonlySet<string>;
  allowedDomains: ReadonlySet<string>;
  allowAnyVerifiedEmail: boolean;
  publicPaths: readonly PublicPathPattern[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  originAudience: string;
  authPrefix: string;
  /** REVOCATION_CHECK: look up the session in KV on every request, so revocation is immediate. */
  revocationCheck: boolean;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const EMAIL = /^[^\s@,]+@[^\s@,]+$/;
const AUTH_PREFIX = /^(\/[A-Za-z0-9\-._~]+)+$/;

/** A value that is absent or blank counts as unset, so `VAR = ""` in wrangler.toml means "default". */
function text(env: Env, name: keyof Env, problems: string[]): string | undefined {
  const value: unknown = env[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    problems.push(`${name}: must be a string`);
    return undefined;
  }
  return value.trim() === "" ? undefined : value.trim();
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

function httpUrl(name: string, value: string, problems: string[], httpsOnlyUnlessLoopback: boolean): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: not a URL`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== "https:" && url.protocol !== "http:") problems.push(`${name}: must be http(s)`);
  if (httpsOnlyUnlessLoopback && url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname)) {
    problems.push(`${name}: must be https (http only for localhost or 127.0.0.1)`);
  }
  if (url.username || url.password) problems.push(`${name}: must not contain credentials`);
  if (url.search || url.hash) problems.push(`${name}: must not have a query or fragment`);
  return problems.length === before ? url : undefined;
}

function seconds(env: Env, name: keyof Env, fallback: number, min: number, max: number, problems: string[]): number {
  const value = text(env, name, problems);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    problems.push(`${name}: must be a whole number of seconds from ${min} to ${max}`);
    return fallback;
  }
  return Number(value);
}

function required(env: Env, name: keyof Env, problems: string[]): string | undefined {
  const value = text(env, name, problems);
  if (value === undefined) problems.push(`${name}: required`);
  return value;
}

/**
 * Parses and checks every binding; collects every problem instead of stopping at the first,
 * so an operator fixes a deployment in one round. Problems never contain a secret's value.
 */
export async function parseConfig(env: Env): Promise<ConfigResult> {
  const problems: string[] = [];

  const originRaw = required(env, "ORIGIN_URL", problems);
  const originUrl = originRaw ? httpUrl("ORIGIN_URL", originRaw, problems, false) : undefined;

  const publicRaw = text(env, "PUBLIC_URL", problems);
  const publicUrl = publicRaw ? httpUrl("PUBLIC_URL", publicRaw, problems, true) : undefined;
  if (publicUrl && publicUrl.pathname !== "/") problems.push("PUBLIC_URL: must be an origin, without a path");

  const issuer = text(env, "OIDC_ISSUER", problems) ?? GOOGLE_ISSUER;
  httpUrl("OIDC_ISSUER", issuer, problems, true);

  const clientId = required(env, "OIDC_CLIENT_ID", problems);
  const clientSecret = required(env, "OIDC_CLIENT_SECRET", problems);
  const keysRaw = required(env, "SESSION_KEYS", problems);
  const parsedKeys = keysRaw ? await parseSessionKeys(keysRaw) : undefined;
  problems.push(...(parsedKeys?.problems ?? []));

  const allowedEmails = list(text(env, "ALLOWED_EMAILS", problems)).map((email) => email.toLowerCase());
  for (const email of allowedEmails) if (!EMAIL.test(email)) problems.push(`ALLOWED_EMAILS: "${email}" is not an e-mail address`);
  const domains = list(text(env, "ALLOWED_DOMAINS", problems)).map((domain) => domain.toLowerCase());
  for (const domain of domains) if (domain !== "*" && !DOMAIN.test(domain)) problems.push(`ALLOWED_DOMAINS: "${domain}" is not a domain`);
  if (allowedEmails.length === 0 && domains.length === 0) {
    problems.push("ALLOWED_EMAILS and ALLOWED_DOMAINS are both empty: refusing to let anyone in (use ALLOWED_DOMAINS=* to allow every verified account)");
  }

  const publicPaths: PublicPathPattern[] = [];
  for (const entry of list(text(env, "PUBLIC_PATHS", problems))) {
    const parsed = parsePublicPath(entry);
    if (typeof parsed === "string") problems.push(parsed);
    else publicPaths.push(parsed);
  }

  const accessTokenTtlSeconds = seconds(env, "ACCESS_TOKEN_TTL", 900, 1, 86_400, problems);
  // 400 days is the longest cookie lifetime browsers honour. Short sessions are fine: KV's
  // 60-second minimum expiry is applied at the write site, and expiry is enforced in code.
  const refreshTokenTtlSeconds = seconds(env, "REFRESH_TOKEN_TTL", 2_592_000, 1, 34_560_000, problems);
  const refreshReuseGraceSeconds = seconds(env, "REFRESH_REUSE_GRACE", 30, 0, 3_600, problems);

  const authPrefix = text(env, "AUTH_PREFIX", problems) ?? "/auth";
  if (!AUTH_PREFIX.test(authPrefix) || authPrefix.startsWith("/.well-known")) {
    problems.push('AUTH_PREFIX: must be a path like "/auth" (no trailing slash)');
  }

  const revocationRaw = text(env, "REVOCATION_CHECK", problems)?.toLowerCase() ?? "false";
  if (revocationRaw !== "true" && revocationRaw !== "false") problems.push('REVOCATION_CHECK: must be "true" or "false"');

  const originAudience = text(env, "ORIGIN_AUDIENCE", problems) ?? originUrl?.origin ?? "";
  const sessions: unknown = env.SESSIONS;
  if (typeof (sessions as KVNamespace | undefined)?.get !== "function") problems.push("SESSIONS: KV namespace binding missing");

  if (problems.length > 0 || !originUrl || !clientId || !clientSecret || !parsedKeys?.keys) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      originBase: originUrl.href.replace(/\/$/, ""),
      publicOrigin: publicUrl?.origin,
      issuer,
      clientId,
      clientSecret,
      sessionKeys: parsedKeys.keys,
      allowedEmails: new Set(allowedEmails),
      allowedDomains: new Set(domains.filter((domain) => domain !== "*")),
      allowAnyVerifiedEmail: domains.includes("*"),
      publicPaths,
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds,
      refreshReuseGraceSeconds,
      originAudience,
      authPrefix,
      revocationCheck: revocationRaw === "true",
    },
  };
}

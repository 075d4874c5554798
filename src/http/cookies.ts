/** The worker's own cookie names (contract section 3). Login transactions get one cookie each. */
export const ACCESS_COOKIE = "__Host-access";
export const REFRESH_COOKIE = "__Host-refresh";
export const LOGIN_COOKIE_PREFIX = "__Host-login-";

/** Longer values are not ours (an ES256 access JWT is about 500 bytes): ignore instead of parsing. */
const MAX_COOKIE_VALUE_LENGTH = 4096;

/** True for names the worker owns. Case-insensitive, so look-alikes such as `__host-access` count too. */
export function isWorkerCookieName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === ACCESS_COOKIE.toLowerCase() || lower === REFRESH_COOKIE.toLowerCase() || lower.startsWith(LOGIN_COOKIE_PREFIX.toLowerCase());
}

/** Splits a Cookie header into name/value pairs without decoding; pairs without `=` are skipped. */
export function parseCookieHeader(header: string | null): { name: string; value: string }[] {
  if (!header) return [];
  const pairs: { name: string; value: string }[] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name) pairs.push({ name, value });
  }
  return pairs;
}

/**
 * The value of cookie `name` (exact, case-sensitive). A cookie sent twice is ambiguous (someone
 * planted a second one), so it counts as absent, as does an empty or oversized value.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  const matches = parseCookieHeader(header).filter((pair) => pair.name === name);
  if (matches.length !== 1) return undefined;
  const value = matches[0]!.value;
  return value.length > 0 && value.length <= MAX_COOKIE_VALUE_LENGTH ? value : undefined;
}

/** Every cookie whose name starts with `prefix`, for login transactions. */
export function readCookiesWithPrefix(header: string | null, prefix: string): { name: string; value: string }[] {
  return parseCookieHeader(header).filter((pair) => pair.name.startsWith(prefix));
}

/** The Cookie header with the worker's cookies removed, others untouched; null when none remain. */
export function withoutWorkerCookies(header: string | null): string | null {
  if (!header) return null;
  const kept = header.split(";").filter((part) => {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    return name.length > 0 && !isWorkerCookieName(name);
  });
  return kept.length > 0 ? kept.map((part) => part.trim()).join("; ") : null;
}

/** A Set-Cookie value with the attributes the contract fixes for every cookie we set. */
export function serializeCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

export function clearCookie(name: string): string {
  return serializeCookie(name, "", 0);
}

/** True when a Set-Cookie header value names one of the worker's cookies. */
export function setsWorkerCookie(setCookie: string): boolean {
  const eq = setCookie.indexOf("=");
  return isWorkerCookieName((eq < 0 ? setCookie.split(";")[0] ?? "" : setCookie.slice(0, eq)).trim());
}

/** The worker's own cookie names (docs/reference.md, "Cookies"). Login transactions get one cookie each. */
export const ACCESS_COOKIE = "__Host-access";
export const REFRESH_COOKIE = "__Host-refresh";
export const LOGIN_COOKIE_PREFIX = "__Host-login-";

/** Longer values are not ours (an ES256 access JWT is about 500 bytes): ignore instead of parsing. */
const MAX_COOKIE_VALUE_LENGTH = 4096;

/** True for names the worker owns. Case-insensitive, so look-alikes such as `__host-access` count too. */
export function isWorkerCookieName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower === ACCESS_COOKIE.toLowerCase() ||
    lower === REFRESH_COOKIE.toLowerCase() ||
    lower.startsWith(LOGIN_COOKIE_PREFIX.toLowerCase())
  );
}

interface CookiePair {
  name: string;
  value: string;
  /** The pair as the client sent it, trimmed: forwarded to the origin unchanged. */
  raw: string;
}

/** The one Cookie parser: name/value pairs without decoding; a part without a name is kept only as `raw`. */
function splitCookieHeader(header: string | null): CookiePair[] {
  if (!header) return [];
  const pairs: CookiePair[] = [];
  for (const part of header.split(";")) {
    const raw = part.trim();
    if (!raw) continue;
    const eq = raw.indexOf("=");
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    let value = eq < 0 ? "" : raw.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    pairs.push({ name: eq <= 0 ? "" : name, value, raw });
  }
  return pairs;
}

/** A request's cookies, parsed once. */
export interface CookieJar {
  /**
   * The value of cookie `name` (exact, case-sensitive). A cookie sent twice is ambiguous (someone
   * planted a second one), so it counts as absent, as does an empty or oversized value.
   */
  get(name: string): string | undefined;
  /** Every cookie whose name starts with `prefix`, for login transactions. */
  withPrefix(prefix: string): { name: string; value: string }[];
  /** The Cookie header for the origin: the worker's cookies removed, others untouched; null when none remain. */
  forOrigin(): string | null;
}

export function parseCookies(header: string | null): CookieJar {
  const pairs = splitCookieHeader(header);
  return {
    get(name) {
      const matches = pairs.filter((pair) => pair.name === name);
      if (matches.length !== 1) return undefined;
      const value = matches[0]!.value;
      return value.length > 0 && value.length <= MAX_COOKIE_VALUE_LENGTH ? value : undefined;
    },
    withPrefix(prefix) {
      return pairs
        .filter((pair) => pair.name.length > 0 && pair.name.startsWith(prefix))
        .map(({ name, value }) => ({ name, value }));
    },
    forOrigin() {
      const kept = pairs.filter((pair) => pair.name.length > 0 && !isWorkerCookieName(pair.name));
      return kept.length > 0 ? kept.map((pair) => pair.raw).join("; ") : null;
    },
  };
}

/** A Set-Cookie value with the attributes every cookie we set has (docs/reference.md, "Cookies"). */
export function serializeCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

export function clearCookie(name: string): string {
  return serializeCookie(name, "", 0);
}

/** True when a Set-Cookie header value names one of the worker's cookies. */
export function setsWorkerCookie(setCookie: string): boolean {
  const eq = setCookie.indexOf("=");
  return isWorkerCookieName((eq < 0 ? (setCookie.split(";")[0] ?? "") : setCookie.slice(0, eq)).trim());
}

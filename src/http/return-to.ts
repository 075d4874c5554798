const MAX_RETURN_TO_LENGTH = 2048;
// Anything a browser might strip or reinterpret before resolving the URL: controls, spaces,
// backslashes (treated as `/` by WHATWG URL parsing in special schemes), non-ASCII.
const UNSAFE = /[\u0000-\u0020\u007f-\uffff\\]/;
const BASE = "https://return-to.invalid";

/** Percent-escapes of ASCII characters decoded once, as a router may (Hono serves `/%61uth/login` as `/auth/login`). */
function decodeAsciiEscapes(path: string): string {
  return path.replace(/%([0-7][0-9a-f])/gi, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * True when `pathname`, however it is spelled (case, ASCII escapes, dot segments or `\` hidden
 * behind escapes), names AUTH_PREFIX or a path below it. Errs towards "own": the cost is a `/`.
 */
function isOwnRoute(pathname: string, authPrefix: string): boolean {
  const prefix = authPrefix.toLowerCase();
  const decoded = decodeAsciiEscapes(pathname);
  // Resolved as the path of BASE, never as a reference: a decoded `//`, `/\` or `/<tab>/` would
  // otherwise be read as an authority, which is empty or invalid and makes the parser throw.
  let resolved: string;
  try {
    resolved = new URL(`${BASE}${decoded.replace(/\?/g, "%3F").replace(/#/g, "%23")}`).pathname;
  } catch {
    return true; // Unresolvable: errs towards "own".
  }
  // The last reading: empty segments collapsed, as many routers do.
  return [pathname, decoded, resolved, resolved.replace(/\/{2,}/g, "/")].some((path) => {
    const lower = path.toLowerCase();
    return lower === prefix || lower.startsWith(`${prefix}/`);
  });
}

/**
 * Reduces a client-supplied `return_to` to a path on our own origin; anything else becomes `/`.
 * The result always starts with exactly one `/`, so it can never be protocol-relative. A path
 * under `authPrefix` (the worker's own routes: login, callback, logout), in any case or
 * spelling, becomes `/` too: no sign-in loops, no replayed callbacks. The exception is
 * `{authPrefix}/sessions` spelled exactly so, the sessions page, which changes nothing.
 */
export function safeReturnTo(raw: string | null | undefined, authPrefix: string): string {
  if (!raw || raw.length > MAX_RETURN_TO_LENGTH || !raw.startsWith("/") || UNSAFE.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = url.pathname + url.search;
  // The one own route worth coming back to after signing in: a page that only shows things.
  if (raw === `${authPrefix}/sessions`) return raw;
  return isOwnRoute(url.pathname, authPrefix) || path.startsWith("//") || path.startsWith("/\\") ? "/" : path;
}

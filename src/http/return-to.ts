const MAX_RETURN_TO_LENGTH = 2048;
// Anything a browser might strip or reinterpret before resolving the URL: controls, spaces,
// backslashes (treated as `/` by WHATWG URL parsing in special schemes), non-ASCII.
const UNSAFE = /[\u0000-\u0020\u007f-\uffff\\]/;
const BASE = "https://return-to.invalid";

/**
 * Reduces a client-supplied `return_to` to a path on our own origin; anything else becomes `/`.
 * The result always starts with exactly one `/`, so it can never be protocol-relative. A path
 * under `authPrefix` (the worker's own routes: login, callback, logout) becomes `/` too: no
 * sign-in loops, no replayed callbacks.
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
  const own = url.pathname.toLowerCase() === authPrefix.toLowerCase() || url.pathname.toLowerCase().startsWith(`${authPrefix.toLowerCase()}/`);
  return own || path.startsWith("//") || path.startsWith("/\\") ? "/" : path;
}

const MAX_RETURN_TO_LENGTH = 2048;
// Anything a browser might strip or reinterpret before resolving the URL: controls, spaces,
// backslashes (treated as `/` by WHATWG URL parsing in special schemes), non-ASCII.
const UNSAFE = /[\u0000-\u0020\u007f-\uffff\\]/;
const BASE = "https://return-to.invalid";

/**
 * Reduces a client-supplied `return_to` to a path on our own origin; anything else becomes `/`.
 * The result always starts with exactly one `/`, so it can never be protocol-relative.
 */
export function safeReturnTo(raw: string | null | undefined): string {
  if (!raw || raw.length > MAX_RETURN_TO_LENGTH || !raw.startsWith("/") || UNSAFE.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = url.pathname + url.search;
  return path.startsWith("//") || path.startsWith("/\\") ? "/" : path;
}

import type { PathPattern } from "../config/public-paths";

// Encoded separators and dots, backslashes, `;` parameters and empty segments are spelled
// differently by different origins (Tomcat's `;`, IIS's `\`, decoders of `%2F`), so a path
// carrying any of them is never treated as public: it goes through the gate instead.
// `%25` (an escaped `%`: an origin that decodes twice sees `%2e%2e`) and escapes of non-ASCII
// bytes (overlong UTF-8 such as `%c0%ae` for `.`) are ambiguous in the same way.
export const AMBIGUOUS = /%2f|%5c|%2e|%00|%25|%3b|%[89a-f][0-9a-f]|\\|;|\/\//i;

/** True when `pathname` (already URL-normalized) is served without a session. */
export function isPublicPath(pathname: string, patterns: readonly PathPattern[]): boolean {
  if (patterns.length === 0 || AMBIGUOUS.test(pathname)) return false;
  return patterns.some((pattern) =>
    pattern.kind === "exact" ? pathname === pattern.path : pathname.startsWith(pattern.prefix),
  );
}

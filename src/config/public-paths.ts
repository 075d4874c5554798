/** A PUBLIC_PATHS entry: `/healthz` matches exactly, `/public/*` matches `/public/` and below. */
export type PublicPathPattern = { kind: "exact"; path: string } | { kind: "prefix"; prefix: string };

const SAFE_PATH = /^\/[A-Za-z0-9\-._~!$&'()+,=:@/]*$/;

/** Parses one PUBLIC_PATHS entry; a string is a problem for the log. */
export function parsePublicPath(entry: string): PublicPathPattern | string {
  const isPrefix = entry.endsWith("/*");
  const path = isPrefix ? entry.slice(0, -1) : entry;
  if (!SAFE_PATH.test(path) || path.split("/").some((segment) => segment === "." || segment === "..") || path.includes("//")) {
    return `PUBLIC_PATHS: "${entry}" must be a plain absolute path, optionally ending in "/*"`;
  }
  return isPrefix ? { kind: "prefix", prefix: path } : { kind: "exact", path };
}

// Encoded separators and dots, backslashes, `;` parameters and empty segments are spelled
// differently by different origins (Tomcat's `;`, IIS's `\`, decoders of `%2F`), so a path
// carrying any of them is never treated as public: it goes through the gate instead.
const AMBIGUOUS = /%2f|%5c|%2e|%00|\\|;|\/\//i;

/** True when `pathname` (already URL-normalized) is served without a session. */
export function isPublicPath(pathname: string, patterns: readonly PublicPathPattern[]): boolean {
  if (patterns.length === 0 || AMBIGUOUS.test(pathname)) return false;
  return patterns.some((pattern) =>
    pattern.kind === "exact" ? pathname === pattern.path : pathname.startsWith(pattern.prefix),
  );
}

/** A PUBLIC_PATHS entry: `/healthz` matches exactly, `/public/*` matches `/public/` and below. */
export type PathPattern = { kind: "exact"; path: string } | { kind: "prefix"; prefix: string };

/**
 * `/*` makes the whole site public, and a bare `/` is almost always meant the same way (or serves
 * the home page, with whatever it shows, to everyone): a public pattern may be neither.
 */
export function opensWholeSite(pattern: PathPattern): boolean {
  return pattern.kind === "prefix" ? pattern.prefix === "/" : pattern.path === "/";
}

const SAFE_PATH = /^\/[A-Za-z0-9\-._~!$&'()+,=:@/]*$/;

/** Parses one PUBLIC_PATHS entry; a string is a problem for the log. */
export function parsePublicPath(entry: string): PathPattern | string {
  const isPrefix = entry.endsWith("/*");
  const path = isPrefix ? entry.slice(0, -1) : entry;
  if (
    !SAFE_PATH.test(path) ||
    path.split("/").some((segment) => segment === "." || segment === "..") ||
    path.includes("//")
  ) {
    return `PUBLIC_PATHS: "${entry}" must be a plain absolute path, optionally ending in "/*"`;
  }
  return isPrefix ? { kind: "prefix", prefix: path } : { kind: "exact", path };
}

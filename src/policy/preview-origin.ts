import type { HostPattern } from "../config/preview-hosts";
import { isSecureOrLoopback } from "../util/issuer-rules";

/**
 * True when `origin` (scheme://host[:port], nothing else) is a preview deployment PREVIEW_HOSTS
 * allows: https, or http on loopback only (local development, like PUBLIC_URL), and a host one
 * of the patterns matches. Anything else is never a place a sign-in is relayed to.
 */
export function isPreviewOrigin(origin: string, patterns: readonly HostPattern[]): boolean {
  if (patterns.length === 0) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin !== origin) return false;
  if (!isSecureOrLoopback(url)) return false;
  return patterns.some((pattern) => pattern.regex.test(url.host));
}

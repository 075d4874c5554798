import { setsWorkerCookie } from "../http/cookies";

/** Cache headers meant for CDNs in front of us: an authenticated answer must not reach a shared cache. */
const SHARED_CACHE_HEADERS = ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"];
/**
 * Clear-Site-Data directives that would delete our cookies (sign the person out) from the origin:
 * `"cookies"` and `"*"`, quoted as the spec says or not (a lenient parser may accept either).
 */
const CLEARS_OUR_COOKIES = /^\s*"?\s*(cookies|\*)\s*"?\s*$/i;

function privateCacheControl(value: string | null): string {
  const directives = (value ?? "").split(",").map((d) => d.trim()).filter(Boolean);
  if (directives.some((d) => /^(private|no-store)$/i.test(d))) return directives.join(", ");
  return ["private", ...directives.filter((d) => !/^(public|s-maxage\s*=.*)$/i.test(d))].join(", ");
}

/**
 * The origin's response as the browser will see it: unchanged, except that it cannot set or
 * clear our cookies (Set-Cookie or Clear-Site-Data), and (when authenticated) shared caches are
 * told not to store it (contract 4.6). The worker's own cookies are added by index.ts.
 */
export function toClientResponse(upstream: Response, authenticated: boolean): Response {
  const headers = new Headers(upstream.headers);
  headers.delete("set-cookie");
  for (const cookie of upstream.headers.getSetCookie()) if (!setsWorkerCookie(cookie)) headers.append("set-cookie", cookie);
  const clearSiteData = headers.get("clear-site-data");
  if (clearSiteData !== null) {
    const kept = clearSiteData.split(",").map((d) => d.trim()).filter((d) => d && !CLEARS_OUR_COOKIES.test(d));
    if (kept.length > 0) headers.set("clear-site-data", kept.join(", "));
    else headers.delete("clear-site-data");
  }
  if (authenticated) {
    headers.set("cache-control", privateCacheControl(headers.get("cache-control")));
    for (const name of SHARED_CACHE_HEADERS) headers.delete(name);
  }
  const init: ResponseInit & { webSocket?: WebSocket | null } = { status: upstream.status, statusText: upstream.statusText, headers };
  if (upstream.status === 101) init.webSocket = upstream.webSocket;
  return new Response(upstream.status === 101 ? null : upstream.body, init);
}

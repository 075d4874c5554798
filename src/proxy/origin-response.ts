import { setsWorkerCookie } from "../http/cookies";

/** Cache headers meant for CDNs in front of us: an authenticated answer must not reach a shared cache. */
const SHARED_CACHE_HEADERS = ["cdn-cache-control", "cloudflare-cdn-cache-control", "surrogate-control"];
/**
 * Clear-Site-Data directives that would delete our cookies (sign the person out) from the origin:
 * `"cookies"` and `"*"`, quoted as the spec says or not (a lenient parser may accept either).
 */
const CLEARS_OUR_COOKIES = /^\s*"?\s*(cookies|\*)\s*"?\s*$/i;

function privateCacheControl(value: string | null): string {
  const directives = (value ?? "")
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean);
  if (directives.some((d) => /^(private|no-store)$/i.test(d))) return directives.join(", ");
  return ["private", ...directives.filter((d) => !/^(public|s-maxage\s*=.*)$/i.test(d))].join(", ");
}

/** An origin sends the same Cache-Control on answer after answer: the last rewrite is kept. */
let lastCacheControl: { sent: string | null; rewritten: string } | undefined;

function privateCacheControlOf(value: string | null): string {
  if (lastCacheControl?.sent !== value) lastCacheControl = { sent: value, rewritten: privateCacheControl(value) };
  return lastCacheControl.rewritten;
}

/**
 * The origin's response as the browser will see it: unchanged, except that it cannot set or
 * clear our cookies (Set-Cookie or Clear-Site-Data), and (when authenticated) shared caches are
 * told not to store it (docs/reference.md, "Headers the origin receives"). The worker's own cookies are added by index.ts.
 * A public answer that needs none of this is passed through as it came, without a copy.
 */
export function toClientResponse(upstream: Response, authenticated: boolean): Response {
  // Most answers set no cookie: asked first, so that no list is made for them.
  const setCookies = upstream.headers.has("set-cookie") ? upstream.headers.getSetCookie() : [];
  const setsOurs = setCookies.some(setsWorkerCookie);
  const clearSiteData = upstream.headers.get("clear-site-data");
  if (!authenticated && !setsOurs && clearSiteData === null) return upstream;
  // The runtime copies status, text and headers; the copy's headers can be changed.
  const response =
    upstream.status === 101
      ? new Response(null, {
          status: 101,
          statusText: upstream.statusText,
          headers: upstream.headers,
          webSocket: upstream.webSocket,
        })
      : new Response(upstream.body, upstream);
  const headers = response.headers;
  if (setsOurs) {
    headers.delete("set-cookie");
    for (const cookie of setCookies) if (!setsWorkerCookie(cookie)) headers.append("set-cookie", cookie);
  }
  if (clearSiteData !== null) {
    const kept = clearSiteData
      .split(",")
      .map((d) => d.trim())
      .filter((d) => d && !CLEARS_OUR_COOKIES.test(d));
    if (kept.length > 0) headers.set("clear-site-data", kept.join(", "));
    else headers.delete("clear-site-data");
  }
  if (authenticated) {
    headers.set("cache-control", privateCacheControlOf(headers.get("cache-control")));
    for (const name of SHARED_CACHE_HEADERS) headers.delete(name);
  }
  return response;
}

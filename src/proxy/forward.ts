import type { Config } from "../config/parse-config";
import type { Env } from "../env";
import { AuthError } from "../errors";

/** What decides where a request goes: the configuration and its bindings, never the request. */
export interface OriginRoute {
  config: Config;
  env: Env;
  /** Our public origin: the URL an ORIGIN service binding sees when ORIGIN_URL is unset. */
  publicOrigin: string;
}

/**
 * The one place that chooses how the origin is reached: the ORIGIN service binding when
 * configured (the origin then has no public address at all), else the network to ORIGIN_URL.
 * Both get the same URL and init; everything around the call is shared. The runtime builds the
 * Request once, from these, instead of copying one we built.
 */
function sendToOrigin(route: OriginRoute, target: string, init: RequestInit): Promise<Response> {
  if (route.config.originVia === "service-binding") {
    const binding = route.env.ORIGIN;
    if (!binding) throw new TypeError("ORIGIN service binding missing");
    return binding.fetch(target, init);
  }
  return fetch(target, init);
}

/**
 * Sends the request to ORIGIN_URL (or, with the ORIGIN service binding and no ORIGIN_URL, our
 * public origin) + path + query. Where it goes depends on the configuration alone: never on
 * `Host`, `X-Forwarded-Host` or any other request header. With `preflight`, a CORS preflight
 * passed without a session, it goes as a bare OPTIONS. An origin that cannot be reached, or
 * an origin Worker that throws, is ERR_ORIGIN_UNAVAILABLE (502).
 *
 * An authenticated request bypasses Cloudflare's cache both ways, `cache: "no-store"`: an answer
 * meant for one person is never stored for, nor served from, the cache that another person's
 * request would hit (the cache key is the URL; the identity headers are not part of it).
 */
export async function forwardToOrigin(
  route: OriginRoute,
  request: Request,
  url: URL,
  headers: Headers,
  authenticated: boolean,
  preflight = false,
): Promise<Response> {
  const target = `${route.config.originBase ?? route.publicOrigin}${url.pathname}${url.search}`;
  // A preflight let through without a session is an OPTIONS and nothing more: whatever body or
  // body headers came with it never reach the origin unauthenticated.
  if (preflight) for (const name of ["content-type", "content-length", "transfer-encoding"]) headers.delete(name);
  const hasBody = !preflight && request.method !== "GET" && request.method !== "HEAD";
  const init: RequestInit = {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: "manual",
  };
  if (authenticated) init.cache = "no-store";
  try {
    return await sendToOrigin(route, target, init);
  } catch (error) {
    throw new AuthError("ERR_ORIGIN_UNAVAILABLE", { cause: error });
  }
}

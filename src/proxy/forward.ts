import { AuthError } from "../errors";

/**
 * Sends the request to ORIGIN_URL + path + query. Where it goes depends on the configuration
 * alone: never on `Host`, `X-Forwarded-Host` or any other request header.
 *
 * An authenticated request bypasses Cloudflare's cache both ways, `cache: "no-store"`: an answer
 * meant for one person is never stored for, nor served from, the cache that another person's
 * request would hit (the cache key is the URL; the identity headers are not part of it).
 */
export async function forwardToOrigin(request: Request, originBase: string, url: URL, headers: Headers, authenticated: boolean): Promise<Response> {
  const target = `${originBase}${url.pathname}${url.search}`;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  try {
    return await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: "manual",
      ...(authenticated ? { cache: "no-store" as const } : {}),
    });
  } catch (error) {
    throw new AuthError("ERR_ORIGIN_UNAVAILABLE", { cause: error });
  }
}

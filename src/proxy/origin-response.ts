import { setsWorkerCookie } from "../http/cookies";

/**
 * The origin's response as the browser will see it: unchanged, except that it cannot set or
 * clear our cookies, the worker's own cookies are appended, and (when authenticated) shared
 * caches are told not to store it (contract 4.6).
 */
export function toClientResponse(upstream: Response, options: { authenticated: boolean; setCookies: readonly string[] }): Response {
  const headers = new Headers(upstream.headers);
  const originCookies = upstream.headers.getSetCookie();
  headers.delete("set-cookie");
  for (const cookie of originCookies) if (!setsWorkerCookie(cookie)) headers.append("set-cookie", cookie);
  for (const cookie of options.setCookies) headers.append("set-cookie", cookie);
  if (options.authenticated) {
    const directives = (headers.get("cache-control") ?? "").split(",").map((d) => d.trim()).filter(Boolean);
    const lower = directives.map((d) => d.toLowerCase());
    if (!lower.some((d) => d === "private" || d === "no-store")) {
      const kept = directives.filter((d) => !/^(public|s-maxage\s*=.*)$/i.test(d));
      headers.set("cache-control", ["private", ...kept].join(", "));
    }
  }
  const init: ResponseInit & { webSocket?: WebSocket | null } = { status: upstream.status, statusText: upstream.statusText, headers };
  if (upstream.status === 101) init.webSocket = upstream.webSocket;
  return new Response(upstream.status === 101 ? null : upstream.body, init);
}

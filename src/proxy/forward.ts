import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { logEvent } from "../log";

/**
 * Sends the request to ORIGIN_URL + path + query. Where it goes depends on the configuration
 * alone: never on `Host`, `X-Forwarded-Host` or any other request header.
 */
export async function forwardToOrigin(request: Request, config: Config, url: URL, headers: Headers): Promise<Response> {
  const target = `${config.originBase}${url.pathname}${url.search}`;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  try {
    return await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: "manual",
    });
  } catch (error) {
    logEvent("error", "origin_unavailable", { code: "ERR_ORIGIN_UNAVAILABLE", reason: String(error).slice(0, 120) });
    throw new AuthError(502, "ERR_ORIGIN_UNAVAILABLE");
  }
}

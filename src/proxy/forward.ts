import { AuthError } from "../errors";

/**
 * Sends the request to ORIGIN_URL + path + query. Where it goes depends on the configuration
 * alone: never on `Host`, `X-Forwarded-Host` or any other request header.
 */
export async function forwardToOrigin(request: Request, originBase: string, url: URL, headers: Headers): Promise<Response> {
  const target = `${originBase}${url.pathname}${url.search}`;
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  try {
    return await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: "manual",
    });
  } catch (error) {
    throw new AuthError("ERR_ORIGIN_UNAVAILABLE", { cause: error });
  }
}

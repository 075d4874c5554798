import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { isPublicPath } from "../config/public-paths";
import { errorResponse } from "../http/error-response";
import { AuthError } from "../errors";
import { isCrossSite, isNavigation } from "../http/request-kind";
import { forwardToOrigin } from "../proxy/forward";
import { toClientResponse } from "../proxy/origin-response";
import { isWebSocketUpgrade, upstreamHeaders } from "../proxy/request-headers";
import { originAssertionFor } from "../session/origin-assertion";
import { resolveSession } from "../session/resolve-session";

/**
 * Every request that is not one of the worker's own routes (contract section 4): public paths
 * go straight through; everything else needs a session, verified locally, refreshed in place
 * from the refresh cookie when the access token has expired; then it is proxied with identity.
 */
export async function gate(c: Context<AppEnv>) {
  const request = c.req.raw;
  const config = c.get("config");
  const url = new URL(request.url);

  if (isPublicPath(url.pathname, config.publicPaths)) {
    const upstream = await forwardToOrigin(request, config, url, upstreamHeaders(request.headers, { requestId: c.get("requestId"), publicOrigin: c.get("issuer") }));
    return toClientResponse(upstream, { authenticated: false, setCookies: [] });
  }

  // Cross-site WebSocket hijacking: browsers send cookies on cross-site upgrades, and the
  // Origin header is the only defence (SameSite does not apply to ws:// handshakes everywhere).
  if (isWebSocketUpgrade(request.headers) && isCrossSite(request, c.get("issuer"))) throw new AuthError(403, "ERR_CROSS_SITE", "websocket");

  const session = await resolveSession(request, config, c.get("issuer"), c.get("store"), c.get("now"));
  if (session.kind === "none") {
    if (isNavigation(request)) {
      const headers = new Headers({ Location: `${config.authPrefix}/login?return_to=${encodeURIComponent(url.pathname + url.search)}`, "Cache-Control": "no-store" });
      for (const cookie of session.setCookies) headers.append("Set-Cookie", cookie);
      return new Response(null, { status: 302, headers });
    }
    return errorResponse(request, 401, session.setCookies, { authPrefix: config.authPrefix });
  }

  const assertion = await originAssertionFor(config, c.get("issuer"), session.identity, Math.floor(c.get("now") / 1000));
  const headers = upstreamHeaders(request.headers, {
    requestId: c.get("requestId"),
    publicOrigin: c.get("issuer"),
    identity: { user: session.identity, assertion, dropAuthorization: session.bearer },
  });
  const upstream = await forwardToOrigin(request, config, url, headers);
  return toClientResponse(upstream, { authenticated: true, setCookies: session.setCookies });
}

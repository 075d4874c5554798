import type { RequestContext } from "../app/request-context";
import { resolveSession } from "../app/resolve-session";
import { AuthError } from "../errors";
import type { Identity } from "../identity";
import { accessDecision, isAdmitted } from "../policy/access-decision";
import { forwardToOrigin } from "../proxy/forward";
import { toClientResponse } from "../proxy/origin-response";
import { upstreamHeaders } from "../proxy/request-headers";
import { originAssertionFor } from "../tokens/token-caches";
import { BoundedCache } from "../util/bounded-cache";

/** Host and scheme of public origins, parsed once (more than one only without PUBLIC_URL). */
const publicOrigins = new BoundedCache<{ host: string; proto: string }>(16);

function publicHostOf(publicOrigin: string) {
  let parsed = publicOrigins.get(publicOrigin, 0);
  if (!parsed) {
    const { host, protocol } = new URL(publicOrigin);
    publicOrigins.set(publicOrigin, (parsed = { host, proto: protocol.slice(0, -1) }), Infinity);
  }
  return parsed;
}

async function proxy(ctx: RequestContext, identity?: { user: Identity; assertion: string }): Promise<Response> {
  const { request } = ctx;
  const { host, proto } = publicHostOf(ctx.publicOrigin);
  const headers = upstreamHeaders(ctx.raw.headers, { ...request, requestId: ctx.requestId, publicHost: host, publicProto: proto }, identity);
  const authenticated = identity !== undefined;
  const sentMs = Date.now();
  try {
    const upstream = await forwardToOrigin(ctx, ctx.raw, request.url, headers, authenticated);
    return toClientResponse(upstream, authenticated);
  } finally {
    ctx.originWaitMs += Date.now() - sentMs;
  }
}

/**
 * Every request that is not one of the worker's own routes (contract sections 4 and 7): its
 * rule decides. Public paths go straight through; everything else needs a session, verified
 * locally, refreshed in place from the refresh cookie when the access token has expired, and a
 * person the rule admits (else 403 naming the account); then it is proxied with identity.
 */
export async function gate(ctx: RequestContext): Promise<Response> {
  const { request, config } = ctx;
  const decision = accessDecision(config.policy, request.url.pathname, request.method);
  if (decision.public) return proxy(ctx);

  // Cross-site WebSocket hijacking: browsers send cookies on cross-site upgrades, and the
  // Origin header is the only defence (SameSite does not apply to ws:// handshakes everywhere).
  if (request.webSocketUpgrade && request.crossSite) throw new AuthError("ERR_CROSS_SITE", { detail: "websocket" });

  const session = await resolveSession(ctx);
  if (!session) {
    if (!request.navigation) throw new AuthError("ERR_NO_SESSION");
    ctx.outcome ??= "ERR_NO_SESSION";
    const returnTo = encodeURIComponent(request.url.pathname + request.url.search);
    return new Response(null, { status: 302, headers: { Location: `${config.authPrefix}/login?return_to=${returnTo}`, "Cache-Control": "no-store" } });
  }
  if (!isAdmitted(decision, session.identity)) {
    const rules = decision.rules.map((rule) => rule.label).join("; ");
    throw new AuthError("ERR_ACCESS_DENIED", { detail: `sub ${session.identity.sub}: ${rules}`, refusedEmail: session.identity.email });
  }
  const assertion = await originAssertionFor(config, ctx.publicOrigin, session.identity, ctx.nowSeconds);
  return proxy(ctx, { user: session.identity, assertion });
}

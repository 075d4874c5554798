import type { RequestContext } from "../app/request-context";
import { resolveSession } from "../app/resolve-session";
import { signInRedirect } from "../app/sign-in-redirect";
import { AuthError } from "../errors";
import { accessDecision, admittedWorkload, isAdmitted, preflightPasses, type AccessDecision } from "../policy/access-decision";
import { forwardToOrigin } from "../proxy/forward";
import { toClientResponse } from "../proxy/origin-response";
import { upstreamHeaders, type ForwardedIdentity } from "../proxy/request-headers";
import { originAssertionFor, workloadAssertionFor } from "../tokens/token-caches";
import { BoundedCache } from "../util/bounded-cache";
import { workloadFromBearer } from "../workloads/verified-workloads";
import { trustedIssuerOf, type WorkloadToken } from "../workloads/workload-token";

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

async function proxy(ctx: RequestContext, identity?: ForwardedIdentity): Promise<Response> {
  const { request } = ctx;
  const { host, proto } = publicHostOf(ctx.publicOrigin);
  // A workload's token on a public path authenticates nothing, and still is not the origin's to see.
  const workloadBearer = identity?.workload !== undefined || (request.bearer !== undefined && trustedIssuerOf(ctx.config.workloads, request.bearer) !== undefined);
  const headers = upstreamHeaders(ctx.raw.headers, { ...request, requestId: ctx.requestId, publicHost: host, publicProto: proto, workloadBearer }, identity);
  const authenticated = identity !== undefined;
  const sentMs = Date.now();
  try {
    const upstream = await forwardToOrigin(ctx, ctx.raw, request.url, headers, authenticated);
    return toClientResponse(upstream, authenticated);
  } finally {
    ctx.originWaitMs += Date.now() - sentMs;
  }
}

/** A workload on its way: one of its names must be one every deciding rule names (else 403). No session, no cookie. */
async function proxyWorkload(ctx: RequestContext, decision: Extract<AccessDecision, { public: false }>, token: WorkloadToken): Promise<Response> {
  const name = admittedWorkload(decision, token.names);
  if (name === undefined) {
    const rules = decision.rules.map((rule) => rule.label).join("; ");
    throw new AuthError("ERR_WORKLOAD_NOT_ADMITTED", { detail: `workload ${token.names.join(", ")}: ${rules}` });
  }
  const workload = { name, sub: token.sub, ...(token.email ? { email: token.email } : {}) };
  const assertion = await workloadAssertionFor(ctx.config, ctx.publicOrigin, workload, ctx.nowSeconds);
  return proxy(ctx, { user: workload, workload: name, assertion });
}

/**
 * Every request that is not one of the worker's own routes (contract sections 4 and 7): its
 * rule decides. Public paths go straight through, and so do CORS preflights where the rule of
 * the request they announce says `"preflight": true` (without identity); a bearer token of a TRUSTED_WORKLOADS issuer
 * is a workload's, admitted only where a rule names it; everything else needs a session,
 * verified locally, refreshed in place from the refresh cookie when the access token has
 * expired, and a person the rule admits (else 403 naming the account); then it is proxied
 * with identity.
 */
export async function gate(ctx: RequestContext): Promise<Response> {
  const { request, config } = ctx;
  const decision = accessDecision(config.policy, request.url.pathname, request.method);
  if (decision.public) return proxy(ctx);
  if (request.preflightMethod !== undefined && preflightPasses(config.policy, request.url.pathname, request.preflightMethod)) return proxy(ctx);

  // Cross-site WebSocket hijacking: browsers send cookies on cross-site upgrades, and the
  // Origin header is the only defence (SameSite does not apply to ws:// handshakes everywhere).
  if (request.webSocketUpgrade && request.crossSite) throw new AuthError("ERR_CROSS_SITE", { detail: "websocket" });

  // Before any cookie is looked at: a workload never refreshes and never gets a session.
  const workload = await workloadFromBearer(config.workloads, request.bearer, ctx.nowSeconds, ctx.nowMs);
  if (workload) return proxyWorkload(ctx, decision, workload);

  const session = await resolveSession(ctx);
  if (!session) {
    if (!request.navigation) throw new AuthError("ERR_NO_SESSION");
    ctx.outcome ??= "ERR_NO_SESSION";
    return signInRedirect(ctx);
  }
  if (!isAdmitted(decision, session.identity)) {
    const rules = decision.rules.map((rule) => rule.label).join("; ");
    throw new AuthError("ERR_ACCESS_DENIED", { detail: `sub ${session.identity.sub}: ${rules}`, refusedEmail: session.identity.email });
  }
  const assertion = await originAssertionFor(config, ctx.publicOrigin, session.identity, ctx.nowSeconds);
  return proxy(ctx, { user: session.identity, assertion });
}

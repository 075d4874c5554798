import type { Context } from "hono";
import type { AppEnv, RequestContext } from "../app/request-context";
import { personKey } from "../identity";
import { noSession, resolveSession } from "../app/resolve-session";
import { signInRedirect } from "../app/sign-in-redirect";
import { socketWatchFor } from "../app/socket-watch";
import { AuthError } from "../errors";
import { logEvent } from "../log";
import {
  accessDecision,
  type AccessDecision,
  admittedWorkload,
  isAdmitted,
  preflightPasses,
  relaysWebSocket,
  requiredMaxAge,
  staleSignIn,
} from "../policy/access-decision";
import { queryNamesMethod, readMethodOverrides } from "../http/method-override";
import { decisionWithOverrides, methodMatters } from "../policy/method-readings";
import { proxy } from "../proxy/proxy";
import { originAssertionFor, workloadAssertionFor } from "../tokens/origin-assertion";
import { workloadFromBearer } from "../workloads/verified-workloads";
import { trustedIssuerOf } from "../workloads/workload-token";

/**
 * The rules that decide the request: those of its path and method, and, where a rule depends on
 * the method, those of every method a `_method` parameter asks the origin to act as (in the query,
 * or in a POST's form or JSON body, which is then read and sent on as read).
 */
async function decide(ctx: RequestContext): Promise<{ decision: AccessDecision; body?: ArrayBuffer | ReadableStream }> {
  const { policy } = ctx.config;
  const { url, method } = ctx.request;
  const decision = accessDecision(policy, url.pathname, method);
  const mayOverride = method === "POST" || queryNamesMethod(url);
  if (!mayOverride || !methodMatters(policy, url.pathname, method)) return { decision };
  const overrides = await readMethodOverrides(ctx.raw, url);
  if (overrides.methods !== "any" && overrides.methods.size === 0) return { decision, body: overrides.body };
  return { decision: decisionWithOverrides(policy, url.pathname, method, overrides.methods), body: overrides.body };
}

/**
 * Every request that is not one of the worker's own routes: its rule decides (docs/reference.md,
 * "The gate"). Public paths go straight through, and so do CORS preflights where the rule of the
 * request they announce says `"preflight": true` (without identity); a bearer token of a
 * TRUSTED_WORKLOADS issuer is a workload's, admitted only where a rule names it; everything else
 * needs a session, verified locally, refreshed in place from the refresh cookie when the access
 * token has expired, and a person the rule admits (else 403 naming the account); then it is
 * proxied with identity; a WebSocket is relayed and closed when its session ends (4401) or its
 * rule stops admitting the person (4403), unless its rule says `"websocket": "pass-through"`.
 */
export async function gate(c: Context<AppEnv>): Promise<Response> {
  // c.get, not c.var: Hono's `var` copies every variable into a new object on each read.
  const ctx = c.get("ctx");
  const { request, config } = ctx;
  const { decision, body } = await decide(ctx);
  ctx.decision = decision;
  // Read once: a workload's token is meant for us, so the origin never sees it, on any path.
  const workloadIssuer = request.bearer === undefined ? undefined : trustedIssuerOf(config.workloads, request.bearer);
  const workloadBearer = workloadIssuer !== undefined;
  if (decision.public) return proxy(ctx, undefined, { workloadBearer, body });
  if (
    request.preflightMethod !== undefined &&
    preflightPasses(config.policy, request.url.pathname, request.preflightMethod)
  ) {
    return proxy(ctx, undefined, { workloadBearer, preflight: true });
  }

  // Cross-site WebSocket hijacking: browsers send cookies on cross-site upgrades, and the
  // Origin header is the only defence (SameSite does not apply to ws:// handshakes everywhere).
  if (request.webSocketUpgrade && request.crossSite) throw new AuthError("ERR_CROSS_SITE", { detail: "websocket" });

  // Before any cookie is looked at: a workload never refreshes and never gets a session.
  if (workloadIssuer !== undefined) {
    const token = await workloadFromBearer(
      config.workloads,
      request.bearer!,
      workloadIssuer,
      ctx.nowSeconds,
      ctx.nowMs,
    );
    const name = admittedWorkload(decision, token.names);
    if (name === undefined) {
      const rules = decision.rules.map((rule) => rule.label).join("; ");
      throw new AuthError("ERR_WORKLOAD_NOT_ADMITTED", { detail: `workload ${token.names.join(", ")}: ${rules}` });
    }
    const workload = { name, sub: token.sub, ...(token.email ? { email: token.email } : {}) };
    const assertion = await workloadAssertionFor(config, ctx.keys, ctx.publicOrigin, workload, ctx.nowSeconds);
    return proxy(ctx, { user: workload, workload: name, assertion }, { workloadBearer: true, body });
  }

  const session = await resolveSession(ctx);
  if (!session) {
    if (!request.navigation) throw noSession(ctx);
    // Answered, not refused: the refusal a browser is sent to sign in for is the decision's outcome.
    ctx.outcome = noSession(ctx).code;
    // A rule that wants a recent sign-in asks for it from the start: one trip to the provider, not two.
    return signInRedirect(ctx, requiredMaxAge(decision));
  }
  if (!isAdmitted(decision, session.identity)) {
    const rules = decision.rules.map((rule) => rule.label).join("; ");
    throw new AuthError("ERR_ACCESS_DENIED", {
      detail: `sub ${personKey(session.identity)}: ${rules}`,
      refusedEmail: session.identity.email,
    });
  }
  // A rule's maxAge: a sign-in at the provider too long ago is sent to sign in again (RFC 9470 for APIs).
  const maxAge = staleSignIn(decision, session.identity, ctx.nowSeconds);
  if (maxAge !== undefined) {
    const detail = `sub ${personKey(session.identity)}: signed in at ${session.identity.authTime ?? "an unknown time"}, maxAge ${maxAge}`;
    if (!request.navigation) throw new AuthError("ERR_SIGN_IN_TOO_OLD", { maxAgeSeconds: maxAge, detail });
    ctx.outcome = "ERR_SIGN_IN_TOO_OLD";
    logEvent("info", "fresh_sign_in_required", { detail });
    return signInRedirect(ctx, maxAge, session.identity.provider);
  }
  const assertion = await originAssertionFor(config, ctx.keys, ctx.publicOrigin, session.identity, ctx.nowSeconds);
  // A socket outlives the request that opened it: relayed, it ends with its session (docs/websockets.md).
  const watch =
    request.webSocketUpgrade && relaysWebSocket(decision) ? socketWatchFor(ctx, decision, session) : undefined;
  return proxy(ctx, { user: session.identity, assertion }, { workloadBearer: false, watch, body });
}

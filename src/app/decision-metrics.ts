import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { logEvent } from "../log";
import { accessDecision } from "../policy/access-decision";
import { sha256 } from "../util/hash";
import type { RequestContext } from "./request-context";

/** What kind of request a decision was about: the worker's own routes, or the gate. */
export type RouteKind = "gate" | "public" | "login" | "callback" | "relay" | "refresh" | "logout" | "me" | "health" | "jwks" | "other" | "unconfigured";

/** Outcome of a request that no refusal stopped (an AuthError code otherwise, or these). */
const OUTCOME_OK = "OK";
const OUTCOME_INTERNAL = "ERR_INTERNAL";
export const OUTCOME_CONFIG = "ERR_CONFIG";

/**
 * One decision as a Workers Analytics Engine data point (AUTH_METRICS). The layout is the
 * dashboard's contract (README "Metrics"); append, never reorder:
 *   blob1 outcome (`OK`, `OK_ROTATION_HELD` (a refresh kept its token: KV's daily write quota,
 *   docs/capacity.md) or an `ERR_*` code), blob2 route kind, blob3 refreshed (`yes`/`no`),
 *   blob4 SHA-256 of `sub` (base64url, as in the KV keys; empty when nobody is known),
 *   double1 time in the worker, ms, index1 route kind (Analytics Engine samples per index).
 * No e-mail, no raw `sub`, no token, path or address ever goes in.
 */
export interface Decision {
  outcome: string;
  routeKind: RouteKind;
  refreshed: boolean;
  sub?: string;
  workerMs: number;
}

const OWN_ROUTES: Record<string, RouteKind> = { login: "login", callback: "callback", relay: "relay", refresh: "refresh", logout: "logout", me: "me", health: "health" };

/** The route kind of a path: low-cardinality, so it can be grouped by and used as the index. */
function routeKindOf(config: Config, pathname: string, method: string): RouteKind {
  if (pathname === "/.well-known/jwks.json") return "jwks";
  const auth = config.authPrefix;
  if (pathname === auth || pathname.startsWith(`${auth}/`)) return OWN_ROUTES[pathname.slice(auth.length + 1)] ?? "other";
  return accessDecision(config.policy, pathname, method).public ? "public" : "gate";
}

/**
 * The decision a request's handling came to. The thrown error's code decides; a refusal handled
 * without throwing (a refused refresh token, a navigation sent to sign in) is kept on the
 * context and wins over the generic ERR_NO_SESSION it leads to, since it says why.
 * Time in the worker excludes the wait for the origin (it is the origin's time, not ours).
 * Workers' clock moves only across I/O, so this is the time spent on KV, the provider and the
 * other calls the worker waited on, not CPU time (Workers' own metrics show that).
 */
export function decisionOf(ctx: RequestContext, error: unknown, nowMs = Date.now()): Decision {
  const thrown = error === undefined ? undefined : error instanceof AuthError ? error.code : OUTCOME_INTERNAL;
  const outcome = (thrown === undefined || thrown === "ERR_NO_SESSION" ? ctx.outcome : undefined) ?? thrown ?? OUTCOME_OK;
  return {
    outcome,
    routeKind: routeKindOf(ctx.config, ctx.request.url.pathname, ctx.request.method),
    refreshed: ctx.refreshed,
    ...(ctx.subject === undefined ? {} : { sub: ctx.subject }),
    workerMs: Math.max(0, nowMs - ctx.nowMs - ctx.originWaitMs),
  };
}

/**
 * Writes one data point for `decision` to the optional AUTH_METRICS dataset. Never throws and
 * never blocks on the dataset (writeDataPoint is fire-and-forget): metrics must not cost a
 * request its answer.
 */
export async function recordDecision(dataset: AnalyticsEngineDataset | undefined, decision: Decision): Promise<void> {
  // Absent (metrics off), or not a dataset (the configuration check has refused it already).
  if (typeof dataset?.writeDataPoint !== "function") return;
  try {
    const hashedSub = decision.sub === undefined ? "" : await sha256(decision.sub);
    dataset.writeDataPoint({
      blobs: [decision.outcome, decision.routeKind, decision.refreshed ? "yes" : "no", hashedSub],
      doubles: [decision.workerMs],
      indexes: [decision.routeKind],
    });
  } catch (error) {
    logEvent("warn", "metrics_not_written", { reason: error instanceof Error ? error.name : "unknown" });
  }
}

import { isOwnPath } from "../config/parse-config";
import { AuthError } from "../errors";
import { failureFields, logEvent } from "../log";
import { sha256 } from "../util/hash";
import type { RequestContext } from "./request-context";

/**
 * What kind of request a decision was about: one of the worker's own routes (the route table
 * names each), somewhere else under AUTH_PREFIX, a public path, the gate, or no valid configuration.
 */
export type RouteKind =
  | "jwks"
  | "login"
  | "callback"
  | "relay"
  | "me"
  | "health"
  | "logout"
  | "refresh"
  | "sessions"
  | "sessions-revoke"
  | "risc"
  | "gate"
  | "public"
  | "other"
  | "unconfigured";

/** Outcome of a request that no refusal stopped (an AuthError code otherwise, or these). */
const OUTCOME_OK = "OK";
const OUTCOME_INTERNAL = "ERR_INTERNAL";
export const OUTCOME_CONFIG = "ERR_CONFIG";

/**
 * One decision as a Workers Analytics Engine data point (AUTH_METRICS). The layout is the
 * dashboard's columns (docs/operating.md, "Metrics"); append, never reorder:
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

/**
 * The route kind of a request: low-cardinality, so it can be grouped by and used as the index.
 * A gate request's kind comes from the decision the gate made (none when it never got that far).
 */
function routeKindOf(ctx: RequestContext, ownRouteKind: RouteKind | undefined): RouteKind {
  if (ownRouteKind) return ownRouteKind;
  if (isOwnPath(ctx.config.authPrefix, ctx.request.url.pathname)) return "other";
  return ctx.decision?.public ? "public" : "gate";
}

/**
 * The decision a request's handling came to: the thrown refusal's code; else what the context
 * says of an answer that was not a refusal (a navigation sent to sign in, a held rotation); else OK.
 * Time in the worker excludes the wait for the origin (it is the origin's time, not ours).
 * Workers' clock moves only across I/O, so this is the time spent on KV, the provider and the
 * other calls the worker waited on, not CPU time (Workers' own metrics show that).
 */
export function decisionOf(
  ctx: RequestContext,
  error: unknown,
  ownRouteKind?: RouteKind,
  nowMs = Date.now(),
): Decision {
  const thrown = error === undefined ? undefined : error instanceof AuthError ? error.code : OUTCOME_INTERNAL;
  const outcome = thrown ?? ctx.outcome ?? OUTCOME_OK;
  return {
    outcome,
    routeKind: routeKindOf(ctx, ownRouteKind),
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
    logEvent("warn", "metrics_not_written", failureFields(error));
  }
}

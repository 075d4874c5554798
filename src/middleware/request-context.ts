import type { MiddlewareHandler } from "hono";
import { decisionOf, recordDecision, type RouteKind } from "../app/decision-metrics";
import { createRequestContext, type AppEnv } from "../app/request-context";
import type { Config } from "../config/parse-config";
import { signingKeysAt } from "../keys/key-ring";
import { currentRequestId } from "../request-scope";

/** Adds the Set-Cookie values the request earned to whatever response goes out. */
function withEarnedCookies(response: Response, cookies: readonly string[]): Response | undefined {
  if (cookies.length === 0) return undefined;
  try {
    for (const cookie of cookies) response.headers.append("Set-Cookie", cookie);
    return undefined;
  } catch {
    // Immutable headers (a response passed through as it came): copy it first.
    const copy = new Response(response.body, response);
    for (const cookie of cookies) copy.headers.append("Set-Cookie", cookie);
    return copy;
  }
}

/**
 * The first middleware of every request: reads the request once into its context (`c.var.ctx`),
 * with the signing keys when KEY_ROTATION keeps them in the store. After the answer, a handler's
 * or the error handler's, it adds the cookies the request earned (a rotation, a sign-in: a failure
 * after a state change never loses them) and writes the decision's data point.
 */
export function requestContext(
  config: Config,
  ownRouteKind: (pathname: string) => RouteKind | undefined,
): MiddlewareHandler<AppEnv> {
  return async function readRequestOnce(c, next) {
    const ctx = createRequestContext(config, c.env, c.req.raw, currentRequestId() ?? "");
    c.set("ctx", ctx);
    if (config.keyRotation) {
      // Usually the isolate's copy, at once; a store read when the isolate starts and then hourly.
      // Unavailable, they fail only what reads them (ctx.keys throws the store's error): a public path needs none.
      const keys = signingKeysAt(config, c.env, ctx.nowMs);
      const loaded =
        keys instanceof Promise ? await keys.catch((failure: Error) => void (ctx.keysFailure = failure)) : keys;
      if (loaded) ctx.keys = loaded;
    }
    await next();
    const copied = withEarnedCookies(c.res, ctx.cookies);
    if (copied) {
      // Hono's setter would merge the old response's headers (and Set-Cookie) back in: clear it first.
      c.res = undefined;
      c.res = copied;
    }
    // One data point per decision, error responses included; nothing to compute without the dataset.
    // Written after the answer (hashing `sub` is async): metrics never delay a response.
    const metrics = c.env.AUTH_METRICS;
    if (metrics) c.executionCtx.waitUntil(recordDecision(metrics, decisionOf(ctx, c.error, ownRouteKind(c.req.path))));
  };
}

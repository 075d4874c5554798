import type { MiddlewareHandler } from "hono";
import { consumeRateLimit, type RateLimitedRoute } from "../app/rate-limit";
import type { AppEnv } from "../app/request-context";

/** Limits one auth route per client (app/rate-limit.ts); past the budget: 429. */
export function rateLimit(route: RateLimitedRoute): MiddlewareHandler<AppEnv> {
  return async function limitAuthRoute(c, next) {
    await consumeRateLimit(c.var.ctx, route);
    await next();
  };
}

import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AuthError } from "../errors";

// Loopback is never a real client behind Cloudflare; it is local development and tests.
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Limits one auth route per client IP with the Workers Rate Limiting binding AUTH_RATE_LIMIT
 * (wrangler.toml `[[ratelimits]]`; counters are per Cloudflare location and approximate, as the
 * platform documents). Without the binding, or for a loopback client, it lets everything through.
 */
export function rateLimit(route: "login" | "callback" | "refresh"): MiddlewareHandler<AppEnv> {
  return async function limitAuthRoute(c, next) {
    const limiter = (c.env as { AUTH_RATE_LIMIT?: RateLimit }).AUTH_RATE_LIMIT;
    const ip = c.req.header("cf-connecting-ip");
    if (limiter && ip && !LOOPBACK.test(ip)) {
      const { success } = await limiter.limit({ key: `${route}:${ip}` });
      if (!success) throw new AuthError(429, "ERR_RATE_LIMITED", route);
    }
    await next();
  };
}

import type { MiddlewareHandler } from "hono";
import { AuthError } from "../errors";
import type { AppEnv, RequestContext } from "./request-context";

// Loopback is never a real client behind Cloudflare; it is local development and tests.
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * `sessions`: a listing costs up to a few hundred KV operations (docs/what-people-see.md, "Your sessions");
 * `logout`: each reads the store and may write or delete, with or without a cookie.
 */
export type RateLimitedRoute = "login" | "callback" | "refresh" | "risc" | "sessions" | "logout";

/**
 * The limiter key for a client address: IPv4 as is; IPv6 by its /64, since one subscriber
 * usually holds a whole /64 and could otherwise rotate addresses inside it for free.
 */
export function clientKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  // An IPv4 address written as IPv6 (`::ffff:203.0.113.9`) is that IPv4 client.
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1);
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = ip.includes("::")
    ? [
        ...headGroups,
        ...new Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0"),
        ...tailGroups,
      ]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/** The client's key (clientKey), or none for a loopback client or one whose address is unknown. */
export const clientKeyOf = (ip: string | undefined) => (ip && !LOOPBACK.test(ip) ? clientKey(ip) : undefined);

/**
 * Counts one attempt of `route` for this client with the Workers Rate Limiting binding
 * AUTH_RATE_LIMIT (wrangler.toml `[[ratelimits]]`; counters are per Cloudflare location and
 * approximate, as the platform documents); throws ERR_RATE_LIMITED past the budget. Without
 * the binding, or for a loopback client, it lets everything through.
 */
export async function consumeRateLimit(ctx: RequestContext, route: RateLimitedRoute): Promise<void> {
  const limiter: RateLimit | undefined = ctx.env.AUTH_RATE_LIMIT;
  const client = clientKeyOf(ctx.request.clientIp);
  if (!limiter || !client) return;
  const { success } = await limiter.limit({ key: `${route}:${client}` });
  if (!success) throw new AuthError("ERR_RATE_LIMITED", { detail: route });
}

/** The route table's middleware for `route`: counts the attempt (consumeRateLimit); past the budget, 429. */
export function rateLimit(route: RateLimitedRoute): MiddlewareHandler<AppEnv> {
  return async function limitAuthRoute(c, next) {
    await consumeRateLimit(c.var.ctx, route);
    await next();
  };
}

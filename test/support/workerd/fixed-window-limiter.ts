/** wrangler.toml `[[ratelimits]] simple = { limit = 60, period = 10 }`. */
export const RATE_LIMIT = 60;
export const RATE_LIMIT_PERIOD_MS = 10_000;

/**
 * A stand-in for the AUTH_RATE_LIMIT binding on a clock the test moves: fixed windows of
 * RATE_LIMIT_PERIOD_MS aligned to multiples of it, at most RATE_LIMIT admitted per key per window
 * (as strict as Cloudflare's limiter can be). The real binding counts per real-time window, so a
 * run that straddles a window boundary would never see its 429; this one never straddles by
 * accident. `keys` records every key asked about, in order.
 */
export function fixedWindowLimiter(clock: () => number) {
  const counts = new Map<string, { window: number; count: number }>();
  const keys: string[] = [];
  const limiter: RateLimit = {
    async limit({ key }) {
      keys.push(key);
      const window = Math.floor(clock() / RATE_LIMIT_PERIOD_MS);
      const seen = counts.get(key);
      const count = seen && seen.window === window ? seen.count + 1 : 1;
      counts.set(key, { window, count });
      return { success: count <= RATE_LIMIT };
    },
  };
  return { limiter, keys };
}

import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { getProvider } from "../oidc/provider-metadata";

const NO_STORE = { "Cache-Control": "no-store" };

/**
 * GET {AUTH_PREFIX}/health, no session needed: the configuration parsed (or this route would
 * not be reached) and every provider's discovery document could be fetched (cached per isolate
 * for up to an hour, failures never cached). Names nothing secret.
 */
export async function healthRoute(c: Context<AppEnv>) {
  const { config, nowMs } = c.var.ctx;
  const provider = await Promise.all(config.providers.map((each) => getProvider(each, nowMs))).then(
    () => "reachable" as const,
    () => "unreachable" as const,
  );
  const ok = provider === "reachable";
  return c.json({ status: ok ? "ok" : "degraded", config: "valid", provider }, ok ? 200 : 503, NO_STORE);
}

/** The same route when the configuration is invalid (answered before any app exists). */
export function configInvalidHealth(): Response {
  return Response.json({ status: "error", config: "invalid", provider: "unknown" }, { status: 500, headers: NO_STORE });
}

import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app/request-context";
import { AuthError } from "../errors";

/** Refuses state-changing requests that a browser sent from another site (403; docs/reference.md, "Routes"). */
export const rejectCrossSite: MiddlewareHandler<AppEnv> = async function rejectCrossSite(c, next) {
  if (c.var.ctx.request.crossSite) throw new AuthError("ERR_CROSS_SITE");
  await next();
};

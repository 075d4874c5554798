import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { AuthError } from "../errors";
import { isCrossSite } from "../http/request-kind";

/** Refuses state-changing requests that a browser sent from another site (contract 2: 403). */
export const rejectCrossSite: MiddlewareHandler<AppEnv> = async function rejectCrossSite(c, next) {
  if (isCrossSite(c.req.raw, c.get("issuer"))) throw new AuthError(403, "ERR_CROSS_SITE");
  await next();
};

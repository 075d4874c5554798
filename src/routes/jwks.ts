import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";

/**
 * GET /.well-known/jwks.json: the public halves of every key that verifies (SESSION_KEYS, and with
 * KEY_ROTATION = "auto" the worker's own, a day before they sign), for origins and anyone else.
 */
export function jwksRoute(c: Context<AppEnv>) {
  return c.json(c.var.ctx.keys.publicJwks, 200, {
    // Short enough that a rotated-in key is seen well before tokens signed with it expire.
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
  });
}

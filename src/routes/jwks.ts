import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";

/** GET /.well-known/jwks.json: the public halves of SESSION_KEYS, for origins and anyone else. */
export function jwksRoute(c: Context<AppEnv>) {
  return c.json(c.var.ctx.config.sessionKeys.publicJwks, 200, {
    // Short enough that a rotated-in key is seen well before tokens signed with it expire.
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
  });
}

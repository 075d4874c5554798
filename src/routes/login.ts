import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { AuthError } from "../errors";
import { startSignIn } from "../oidc/authorize";

/**
 * GET {AUTH_PREFIX}/login?return_to=/path[&prompt=select_account]: 302 to the provider's
 * authorization endpoint. `prompt` is passed on only if it is `select_account` or `login`.
 */
export async function loginRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const query = ctx.request.url.searchParams;
  const returnTo = query.getAll("return_to");
  if (returnTo.length > 1 || query.getAll("prompt").length > 1) throw new AuthError("ERR_BAD_REQUEST", { detail: "parameter repeated" });
  const { location, setCookies } = await startSignIn(ctx, returnTo[0] ?? null, query.get("prompt") ?? undefined);
  ctx.cookies.push(...setCookies);
  return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}

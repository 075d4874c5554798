import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { AuthError } from "../errors";
import { startSignIn } from "../oidc/authorize";

/**
 * GET {AUTH_PREFIX}/login?return_to=/path[&prompt=select_account]: 302 to the provider's
 * authorization endpoint. `prompt` is passed on only if it is `select_account` or `login`.
 */
export async function loginRoute(c: Context<AppEnv>) {
  const query = new URL(c.req.url).searchParams;
  const returnTo = query.getAll("return_to");
  if (returnTo.length > 1 || query.getAll("prompt").length > 1) throw new AuthError(400, "ERR_BAD_REQUEST", "parameter repeated");
  const prompt = query.get("prompt") ?? undefined;
  const { location, setCookies } = await startSignIn(c.req.raw, c.get("config"), c.get("issuer"), returnTo[0] ?? null, Math.floor(c.get("now") / 1000), prompt);
  const headers = new Headers({ Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
  for (const cookie of setCookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 302, headers });
}

import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { signInFlowRedirect, toPublicHost } from "../app/sign-in-redirect";
import { AuthError } from "../errors";
import { signInPrompt, startSignIn } from "../oidc/authorize";
import { relayRequestOf, startPreviewSignIn } from "./relay";

/**
 * GET {AUTH_PREFIX}/login?return_to=/path[&prompt=select_account]: 302 to the provider's
 * authorization endpoint. `prompt` is passed on only if it is `select_account` or `login`.
 * On a preview host, 302 to the registered host's login instead; there, `relay_to` and
 * `relay_state` say which preview the sign-in is for (routes/relay.ts). On any other host name
 * of the worker, 302 to this same URL on PUBLIC_URL's host (docs/hosts.md).
 */
export async function loginRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  // The provider returns to PUBLIC_URL's host only: the sign-in starts there, or never finishes.
  if (ctx.otherHost) return toPublicHost(ctx);
  const query = ctx.request.url.searchParams;
  const returnTo = query.getAll("return_to");
  if (returnTo.length > 1 || query.getAll("prompt").length > 1)
    throw new AuthError("ERR_BAD_REQUEST", { detail: "parameter repeated" });
  const prompt = signInPrompt(query.get("prompt"));
  if (ctx.preview) return startPreviewSignIn(ctx, returnTo[0] ?? null, prompt);
  const { location, setCookies } = await startSignIn(ctx, returnTo[0] ?? null, prompt, relayRequestOf(ctx));
  ctx.cookies.push(...setCookies);
  return signInFlowRedirect(location);
}

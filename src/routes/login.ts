import type { Context } from "hono";
import type { AppEnv } from "../app/request-context";
import { signInFlowRedirect, toPublicHost } from "../app/sign-in-redirect";
import { providerById, type OidcProvider } from "../config/oidc-providers";
import { AuthError } from "../errors";
import { pageResponse } from "../http/page-shell";
import { providerChoicePage } from "../http/provider-choice-page";
import { safeReturnTo } from "../http/return-to";
import { MAX_AGE_LIMIT_SECONDS, signInPrompt, startSignIn } from "../oidc/authorize";
import { relayRequestOf, startPreviewSignIn } from "./relay";

/** The parameters a sign-in carries through the provider choice; nothing else is echoed into the page. */
const KEPT_THROUGH_CHOICE = ["prompt", "max_age", "relay_to", "relay_state"];
/** `max_age` as a sign-in link carries it: whole seconds, no sign, no exponent. */
const MAX_AGE = /^\d{1,9}$/;

/**
 * GET {AUTH_PREFIX}/login?return_to=/path[&provider=<id>][&prompt=select_account]: 302 to that
 * provider's authorization endpoint (the only one's, when there is one); with several and none
 * named, 200 with the page that lets the person choose (docs/providers.md); an unknown `provider`
 * is a 400. `prompt` is passed on only if it is `select_account` or `login`; `max_age` (seconds,
 * docs/access-policies.md, "A fresh sign-in for sensitive paths") is passed on, and the callback then requires a sign-in that recent.
 * On a preview host, 302 to the registered host's login instead; there, `relay_to` and
 * `relay_state` say which preview the sign-in is for (routes/relay.ts). On any other host name
 * of the worker, 302 to this same URL on PUBLIC_URL's host (docs/host-names.md).
 */
export async function loginRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  // The provider returns to PUBLIC_URL's host only: the sign-in starts there, or never finishes.
  if (ctx.otherHost) return toPublicHost(ctx);
  const query = ctx.request.url.searchParams;
  const returnTo = query.getAll("return_to");
  const named = query.getAll("provider");
  const maxAgeParam = query.getAll("max_age");
  if (returnTo.length > 1 || query.getAll("prompt").length > 1 || named.length > 1 || maxAgeParam.length > 1)
    throw new AuthError("ERR_BAD_REQUEST", { detail: "parameter repeated" });
  const maxAge = maxAgeParam[0] === undefined ? undefined : Number(maxAgeParam[0]);
  if (maxAge !== undefined && (!MAX_AGE.test(maxAgeParam[0]!) || maxAge > MAX_AGE_LIMIT_SECONDS))
    throw new AuthError("ERR_BAD_REQUEST", { detail: "max_age" });
  const { providers, authPrefix } = ctx.config;
  const chosen: OidcProvider | undefined =
    named[0] === undefined ? (providers.length === 1 ? providers[0] : undefined) : providerById(providers, named[0]);
  if (named[0] !== undefined && !chosen) throw new AuthError("ERR_BAD_REQUEST", { detail: "unknown provider" });
  const prompt = signInPrompt(query.get("prompt"));
  if (ctx.preview) return startPreviewSignIn(ctx, returnTo[0] ?? null, { prompt, maxAge }, named[0]);
  const relay = relayRequestOf(ctx);
  if (!chosen) {
    const keep = new URLSearchParams([["return_to", safeReturnTo(returnTo[0], authPrefix)]]);
    for (const name of KEPT_THROUGH_CHOICE) for (const value of query.getAll(name)) keep.append(name, value);
    return pageResponse(200, providerChoicePage(authPrefix, providers, keep));
  }
  const { location, setCookies } = await startSignIn(ctx, chosen, returnTo[0] ?? null, { prompt, maxAge, relay });
  ctx.cookies.push(...setCookies);
  return signInFlowRedirect(location);
}

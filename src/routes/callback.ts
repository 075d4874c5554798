import type { Context } from "hono";
import { withPolicyGroups } from "../app/policy-groups";
import type { AppEnv } from "../app/request-context";
import { signInFlowRedirect } from "../app/sign-in-redirect";
import { startSession } from "../app/start-session";
import { AuthError } from "../errors";
import { clearCookie } from "../http/cookies";
import { DEFAULT_PROVIDER_ID, personKey, type Identity } from "../identity";
import { providerById } from "../config/oidc-providers";
import { completeSignIn } from "../oidc/callback";
import { isIssuedStateShape, loginCookieName, readLoginTransaction } from "../oidc/login-transaction";
import { isAllowed } from "../policy/allowlist";
import { handToPreview } from "./relay";

/**
 * GET {AUTH_PREFIX}/callback: finishes the sign-in and starts a session. Every failure is a
 * 4xx (502 when the provider fails) with no session cookie; the login cookie is always spent.
 * A sign-in started for a preview deployment is handed to it instead (routes/relay.ts).
 */
export async function callbackRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  // The provider only ever returns to the registered host: a preview's callback is nobody's.
  if (ctx.preview) throw new AuthError("ERR_NOT_FOUND", { detail: "callback on a preview host" });
  const query = ctx.request.url.searchParams;
  // A retry must start a new sign-in: this callback's code and login cookie are spent.
  ctx.retryHref = `${ctx.config.authPrefix}/login`;
  for (const name of ["state", "code", "iss", "error"]) {
    if (query.getAll(name).length > 1) throw new AuthError("ERR_BAD_REQUEST", { detail: `${name} repeated` });
  }
  const state = query.get("state");
  // Only a state of the shape we issue may name a cookie: nothing else reaches a header.
  if (state === null || !isIssuedStateShape(state))
    throw new AuthError("ERR_STATE_MISMATCH", { detail: "state missing or malformed" });
  ctx.cookies.push(clearCookie(loginCookieName(state)));
  const tx = await readLoginTransaction(ctx, state);
  // The state says which provider the sign-in went to; a login from before providers had ids went to the default one.
  const at = providerById(ctx.config.providers, tx.provider ?? DEFAULT_PROVIDER_ID);
  if (!at) throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING", { detail: "login at a provider no longer configured" });

  // Groups come from the directory now; an outage is a 503 page, and no session starts.
  const identity: Identity = await withPolicyGroups(ctx, await completeSignIn(ctx, at, ctx.request.url, tx));
  ctx.subject = personKey(identity);
  if (!isAllowed(ctx.config.policy, identity))
    throw new AuthError("ERR_ACCOUNT_NOT_ALLOWED", { detail: `sub ${identity.sub}`, refusedEmail: identity.email });
  if (tx.relay) return handToPreview(ctx, identity, tx.relay);
  await startSession(ctx, identity, "callback");
  return signInFlowRedirect(tx.returnTo);
}

import type { Context } from "hono";
import type { AppEnv, RequestContext } from "../app/request-context";
import { signInFlowRedirect } from "../app/sign-in-redirect";
import { startSession } from "../app/start-session";
import { AuthError } from "../errors";
import { clearCookie } from "../http/cookies";
import { safeReturnTo } from "../http/return-to";
import { personKey, type Identity } from "../identity";
import { logEvent } from "../log";
import type { SignInOptions } from "../oidc/authorize";
import {
  isIssuedStateShape,
  loginCookieName,
  readLoginTransaction,
  saveLoginTransaction,
} from "../oidc/login-transaction";
import { isAllowed } from "../policy/allowlist";
import { isPreviewOrigin } from "../policy/preview-origin";
import type { LoginTransaction } from "../tokens/login-token";
import { signRelayCode, verifyRelayCode } from "../tokens/relay-code";
import { randomToken } from "../util/hash";

/**
 * Sign-in for preview deployments (PREVIEW_HOSTS). The provider accepts only exact redirect
 * URIs, so a preview host P never talks to it:
 *   1. P's /login keeps a login in P's browser (a `__Host-login-` cookie on P, its `state`
 *      random) and sends the browser to the registered host's /login with relay_to=P and that
 *      state: P must match PREVIEW_HOSTS there, or nothing is ever sent to it.
 *   2. The registered host runs the whole sign-in; its callback, instead of starting a session,
 *      sends the browser to P's /relay with a relay code: a JWT signed with SESSION_KEYS,
 *      `typ` relay+jwt, `aud` = P, valid 60 s, carrying who signed in, P's state and a `jti`.
 *   3. P's /relay accepts a code only for itself, only once (the store records the `jti`
 *      write-once as soon as the signature verifies, whatever happens next), and only with the
 *      login cookie its state names (so a code cannot sign someone else's browser in); then it
 *      starts P's own session.
 * No token ever travels in a URL: the code is not a session, and is worthless a minute later,
 * a second time, on another host, or in another browser.
 */

/** Step 1, on a preview host: GET {AUTH_PREFIX}/login. */
export async function startPreviewSignIn(
  ctx: RequestContext,
  returnTo: string | null,
  { prompt, maxAge }: Pick<SignInOptions, "prompt" | "maxAge">,
  provider?: string,
): Promise<Response> {
  const { authPrefix } = ctx.config;
  const state = randomToken(32);
  ctx.cookies.push(
    ...(await saveLoginTransaction(ctx, {
      state,
      nonce: "",
      codeVerifier: "",
      returnTo: safeReturnTo(returnTo, authPrefix),
    })),
  );
  const target = new URL(`${ctx.config.publicOrigin}${authPrefix}/login`);
  target.searchParams.set("relay_to", ctx.publicOrigin);
  target.searchParams.set("relay_state", state);
  if (prompt) target.searchParams.set("prompt", prompt);
  if (maxAge !== undefined) target.searchParams.set("max_age", String(maxAge));
  // Checked against the providers already; without one, the registered host lets the person choose.
  if (provider) target.searchParams.set("provider", provider);
  return signInFlowRedirect(target.href);
}

/** Step 2's start, on the registered host: the preview a /login is for, checked, or undefined. */
export function relayRequestOf(ctx: RequestContext): LoginTransaction["relay"] {
  const query = ctx.request.url.searchParams;
  const to = query.getAll("relay_to");
  const state = query.getAll("relay_state");
  if (to.length === 0 && state.length === 0) return undefined;
  if (to.length !== 1 || state.length !== 1 || !isIssuedStateShape(state[0]!))
    throw new AuthError("ERR_BAD_REQUEST", { detail: "relay parameters" });
  if (to[0] === ctx.publicOrigin || !isPreviewOrigin(to[0]!, ctx.config.previewHosts))
    throw new AuthError("ERR_PREVIEW_HOST_NOT_ALLOWED");
  return { to: to[0]!, state: state[0]! };
}

/** Step 2's end, the registered host's callback: the relay code, to the preview and nowhere else. */
export async function handToPreview(
  ctx: RequestContext,
  identity: Identity,
  relay: NonNullable<LoginTransaction["relay"]>,
): Promise<Response> {
  // Checked again: PREVIEW_HOSTS may have changed while the person was at the provider.
  if (!isPreviewOrigin(relay.to, ctx.config.previewHosts))
    throw new AuthError("ERR_PREVIEW_HOST_NOT_ALLOWED", { detail: "at callback" });
  const code = await signRelayCode(
    ctx.keys,
    ctx.publicOrigin,
    relay.to,
    { identity, state: relay.state, jti: randomToken(16) },
    ctx.nowSeconds,
  );
  logEvent("info", "sign_in_relayed", { sub: personKey(identity), to: new URL(relay.to).host });
  return signInFlowRedirect(`${relay.to}${ctx.config.authPrefix}/relay?code=${code}`);
}

/** Step 3, on the preview host: GET {AUTH_PREFIX}/relay?code=... */
export async function relayRoute(c: Context<AppEnv>) {
  const ctx = c.var.ctx;
  const { config } = ctx;
  // The registered host hands codes out; it never takes one.
  if (!ctx.preview || !config.publicOrigin)
    throw new AuthError("ERR_NOT_FOUND", { detail: "relay on the registered host" });
  ctx.retryHref = `${config.authPrefix}/login`;
  const codes = ctx.request.url.searchParams.getAll("code");
  if (codes.length !== 1) throw new AuthError("ERR_BAD_REQUEST", { detail: "code missing or repeated" });
  const code = await verifyRelayCode(ctx.keys, config.publicOrigin, ctx.publicOrigin, codes[0]!, ctx.nowSeconds).catch(
    (error: unknown) => {
      throw new AuthError("ERR_RELAY_CODE_INVALID", { cause: error });
    },
  );
  // Only a state of the shape we issue may name a cookie.
  if (!isIssuedStateShape(code.state)) throw new AuthError("ERR_RELAY_CODE_INVALID", { detail: "state shape" });
  ctx.subject = personKey(code.identity);
  // Spent as soon as it is known to be ours, before any other check: a code that lands in the
  // wrong browser (a leaked link) is worthless to the right one too, not redeemable for its minute.
  const first = await ctx.store.claimOnce(ctx.subject, code.jti, ctx.nowMs, code.exp * 1000);
  if (!first) throw new AuthError("ERR_RELAY_CODE_REPLAYED");
  ctx.cookies.push(clearCookie(loginCookieName(code.state)));
  // This browser must be the one that started the sign-in on this host.
  const waiting = await readLoginTransaction(ctx, code.state);
  if (waiting.relay) throw new AuthError("ERR_LOGIN_TRANSACTION_MISSING", { detail: "relay" });
  if (!isAllowed(config.policy, code.identity))
    throw new AuthError("ERR_ACCOUNT_NOT_ALLOWED", { detail: "relay", refusedEmail: code.identity.email });
  await startSession(ctx, code.identity, "relay");
  return signInFlowRedirect(waiting.returnTo);
}

import type { RequestContext } from "./request-context";

/**
 * A redirect within the sign-in flow (to the provider, back from it, between hosts): never cached,
 * and it sends no Referer on, since the URL it leaves may hold a code or a state.
 */
export function signInFlowRedirect(location: string): Response {
  return new Response(null, {
    status: 302,
    headers: { Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" },
  });
}

/**
 * The same path and query on PUBLIC_URL's host, for a GET/HEAD navigation that needs a sign-in on
 * another host name of the worker (RequestContext.otherHost). The whole sign-in then happens on
 * the host the provider returns to: the login cookie is host-only, so one set here would never
 * reach the callback. Only what the browser asked for moves, never a cookie or a token.
 */
export function toPublicHost(ctx: RequestContext): Response {
  const { url } = ctx.request;
  return signInFlowRedirect(`${ctx.publicOrigin}${url.pathname}${url.search}`);
}

/**
 * A navigation without a session: 302 to {AUTH_PREFIX}/login?return_to=<path+query>, or, on
 * another host name of the worker, to the same page on PUBLIC_URL's host, which may already
 * have a session and otherwise sends it to its own login. With `maxAge` (the rule asks for a
 * recent sign-in), `&max_age=N` too: the provider then signs the person in again if need be. With
 * `provider` (a signed-in person's, among several), `&provider=<id>`: signing in again is at the
 * same provider, without the choice (elsewhere they would be someone else). The first redirect of
 * the sign-in flow, so it answers like the others (signInFlowRedirect): a browser applies each
 * redirect's policy to the Referer of the next request, and none along the way may be laxer.
 */
export function signInRedirect(ctx: RequestContext, maxAge?: number, provider?: string): Response {
  if (ctx.otherHost) return toPublicHost(ctx);
  const { url } = ctx.request;
  const fresh = maxAge === undefined ? "" : `&max_age=${maxAge}`;
  const same =
    provider === undefined || ctx.config.providers.length < 2 ? "" : `&provider=${encodeURIComponent(provider)}`;
  const location = `${ctx.config.authPrefix}/login?return_to=${encodeURIComponent(url.pathname + url.search)}${fresh}${same}`;
  return signInFlowRedirect(location);
}

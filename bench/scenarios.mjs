// The load scenarios, side by side. Each is a target URL, a path and a cookie source.
//
// Every request carries a cookie of about the same size (an access JWT, ~530 bytes, or a peer's
// own session cookie), even to the origin and the public path, so the scenarios differ only in
// what the worker does with it. Protected paths are under /app/, where the origin answers 418
// unless it received an identity header (bench/origin.mjs): a 2xx there proves the gate let the
// request through with an identity.

/** A cookie source that hands out each value of `pool` once; past the end it wraps, counted. */
export function distinctCookies(name, pool) {
  let next = 0;
  const source = () => {
    if (next >= pool.length) source.reused++;
    return `${name}=${pool[next++ % pool.length]}`;
  };
  source.reused = 0;
  source.used = () => next;
  return source;
}

export function sameCookie(name, value) {
  const source = () => `${name}=${value}`;
  source.reused = 0;
  source.used = () => 0;
  return source;
}

/**
 * `ctx`: { urls: {origin, worker, oidc, jwk, passthrough}, accessToken, accessPool, oidcSession,
 * oidcPool, refreshPool }. Pools are arrays; each scenario walks its own cursor.
 */
export function defineScenarios(ctx) {
  const access = () => sameCookie("__Host-access", ctx.accessToken);
  return [
    { id: "a", label: "origin directly", url: ctx.urls.origin, path: "/public/x", cookies: access(), worker: false },
    { id: "b0", label: "floor: 5-line fetch() worker", url: ctx.urls.passthrough, path: "/public/x", cookies: access(), worker: true },
    { id: "b", label: "ours, bare proxy (PUBLIC_PATHS)", url: ctx.urls.worker, path: "/public/x", cookies: access(), worker: true },
    { id: "c", label: "ours, gate, same session", url: ctx.urls.worker, path: "/app/x", cookies: access(), worker: true },
    { id: "d", label: "ours, gate, new token each req", url: ctx.urls.worker, path: "/app/x", cookies: distinctCookies("__Host-access", ctx.accessPool), worker: true, pool: "access" },
    { id: "e", label: "ours, refresh cookie only (KV)", url: ctx.urls.worker, path: "/app/x", cookies: distinctCookies("__Host-refresh", ctx.refreshPool), worker: true, pool: "refresh" },
    { id: "f1c", label: "@hono/oidc-auth, same session", url: ctx.urls.oidc, path: "/app/x", cookies: sameCookie("oidc-auth", ctx.oidcSession), worker: true },
    { id: "f1d", label: "@hono/oidc-auth, new session each", url: ctx.urls.oidc, path: "/app/x", cookies: distinctCookies("oidc-auth", ctx.oidcPool), worker: true, pool: "oidc" },
    { id: "f2c", label: "hono/jwk gate, same token", url: ctx.urls.jwk, path: "/app/x", cookies: access(), worker: true },
    { id: "f2d", label: "hono/jwk gate, new token each req", url: ctx.urls.jwk, path: "/app/x", cookies: distinctCookies("__Host-access", ctx.accessPool), worker: true, pool: "access" },
  ];
}

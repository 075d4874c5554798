// The load scenarios, side by side. Each is a target URL, a path and a cookie source (for (w),
// an Authorization source: `header` names the header its values go in).
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

export function sameCookie(name, value, separator = "=") {
  const source = () => `${name}${separator}${value}`;
  source.reused = 0;
  source.used = () => 0;
  return source;
}

/** The `__Host-refresh` value a Set-Cookie header (string or array, as autocannon or fetch give it) sets. */
export function refreshCookieSet(setCookie) {
  for (const line of [setCookie ?? []].flat()) {
    const match = /^__Host-refresh=([^;]*)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

const CREDENTIAL = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

/**
 * Did this refresh really rotate? 2xx, and a new, well-formed `__Host-refresh` cookie in the
 * answer, in the same format as the one sent (same number of parts; on the Durable Object store
 * the first part, the person's object, stays). A problem as text, or undefined.
 */
export function rotationProblem(sentCookie, status, headers) {
  const sent = /__Host-refresh=([^;]*)/.exec(sentCookie ?? "")?.[1];
  const set = refreshCookieSet(headers?.["set-cookie"] ?? headers?.["Set-Cookie"]);
  if (status < 200 || status > 299) return `status ${status}`;
  if (!set) return "no __Host-refresh cookie in the answer";
  if (!CREDENTIAL.test(set)) return `malformed new credential ${set.slice(0, 20)}...`;
  if (set === sent) return "the same credential came back";
  const parts = (value) => value.split(".");
  if (sent && parts(set).length !== parts(sent).length) return "credential format changed";
  if (sent && parts(sent).length === 3 && parts(set)[0] !== parts(sent)[0]) return "another person's object";
  return undefined;
}

/**
 * `ctx`: { urls: {origin, worker, workerDo, workerWl, oidc, jwk, passthrough}, accessToken, workloadToken, accessPool,
 * oidcSession, oidcPool, refreshPool, refreshDoPool }. Pools are arrays; each scenario walks its
 * own cursor. Refresh scenarios carry `check`: every 10th answer must carry a new refresh cookie.
 */
export function defineScenarios(ctx) {
  const access = () => sameCookie("__Host-access", ctx.accessToken);
  return [
    { id: "a", label: "origin directly", url: ctx.urls.origin, path: "/public/x", cookies: access(), worker: false },
    {
      id: "b0",
      label: "floor: 5-line fetch() worker",
      url: ctx.urls.passthrough,
      path: "/public/x",
      cookies: access(),
      worker: true,
    },
    {
      id: "b",
      label: "ours, bare proxy (PUBLIC_PATHS)",
      url: ctx.urls.worker,
      path: "/public/x",
      cookies: access(),
      worker: true,
    },
    {
      id: "c",
      label: "ours, gate, same session",
      url: ctx.urls.worker,
      path: "/app/x",
      cookies: access(),
      worker: true,
    },
    {
      id: "d",
      label: "ours, gate, new token each req",
      url: ctx.urls.worker,
      path: "/app/x",
      cookies: distinctCookies("__Host-access", ctx.accessPool),
      worker: true,
      pool: "access",
    },
    // A CI job's own OIDC token (RS256, GitHub's claims, about 1.3 KB) as a bearer, the same one each
    // request, to a worker with TRUSTED_WORKLOADS; no cookie. Next to (c): a known caller, verified before.
    {
      id: "w",
      label: "ours, gate, workload bearer (same)",
      url: ctx.urls.workerWl,
      path: "/app/x",
      cookies: sameCookie("Bearer", ctx.workloadToken, " "),
      header: "authorization",
      worker: true,
    },
    {
      id: "e",
      label: "ours, refresh cookie only (KV)",
      url: ctx.urls.worker,
      path: "/app/x",
      cookies: distinctCookies("__Host-refresh", ctx.refreshPool),
      worker: true,
      pool: "refresh",
      check: { every: 10, fn: rotationProblem },
    },
    {
      id: "e2",
      label: "ours, refresh cookie only (DO)",
      url: ctx.urls.workerDo,
      path: "/app/x",
      cookies: distinctCookies("__Host-refresh", ctx.refreshDoPool),
      worker: true,
      pool: "refreshDo",
      check: { every: 10, fn: rotationProblem },
    },
    {
      id: "f1c",
      label: "@hono/oidc-auth, same session",
      url: ctx.urls.oidc,
      path: "/app/x",
      cookies: sameCookie("oidc-auth", ctx.oidcSession),
      worker: true,
    },
    {
      id: "f1d",
      label: "@hono/oidc-auth, new session each",
      url: ctx.urls.oidc,
      path: "/app/x",
      cookies: distinctCookies("oidc-auth", ctx.oidcPool),
      worker: true,
      pool: "oidc",
    },
    {
      id: "f2c",
      label: "hono/jwk gate, same token",
      url: ctx.urls.jwk,
      path: "/app/x",
      cookies: access(),
      worker: true,
    },
    {
      id: "f2d",
      label: "hono/jwk gate, new token each req",
      url: ctx.urls.jwk,
      path: "/app/x",
      cookies: distinctCookies("__Host-access", ctx.accessPool),
      worker: true,
      pool: "access",
    },
  ];
}

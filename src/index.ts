import { HonoBase as Hono } from "hono/hono-base";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { decisionOf, OUTCOME_CONFIG, recordDecision } from "./app/decision-metrics";
import { createRequestContext, type AppEnv, type RequestContext } from "./app/request-context";
import { loadConfig, loadedConfig } from "./config/load-config";
import { DEFAULT_AUTH_PREFIX, type Config } from "./config/parse-config";
import type { Env } from "./env";
import { AuthError, describeCause } from "./errors";
import { errorResponse, internalErrorResponse } from "./http/error-response";
import { pageResponse } from "./http/page-shell";
import { misconfiguredPage } from "./http/page-texts";
import { logEvent } from "./log";
import { gate } from "./middleware/gate";
import { rateLimit } from "./middleware/rate-limit";
import { rejectCrossSite } from "./middleware/same-origin";
import { requestIdFor, runInRequestScope } from "./request-scope";
import { callbackRoute } from "./routes/callback";
import { configInvalidHealth, healthRoute } from "./routes/health";
import { jwksRoute } from "./routes/jwks";
import { loginRoute } from "./routes/login";
import { logoutPage, methodNotAllowed, notFound } from "./routes/pages";
import { riscRoute } from "./routes/risc";
import { relayRoute } from "./routes/relay";
import { logoutRoute, meRoute, refreshRoute } from "./routes/session-routes";

export { SessionFamilies } from "./session/session-families";

const JWKS_PATH = "/.well-known/jwks.json";

/** Adds the Set-Cookie values the request earned to whatever response goes out. */
function withEarnedCookies(response: Response, cookies: readonly string[]): Response {
  if (cookies.length === 0) return response;
  let out = response;
  try {
    for (const cookie of cookies) out.headers.append("Set-Cookie", cookie);
  } catch {
    // Immutable headers (a response passed through as it came): copy it first.
    out = new Response(response.body, response);
    for (const cookie of cookies) out.headers.append("Set-Cookie", cookie);
  }
  return out;
}

/** The one error path: the code decides the status, the log gets code, detail and cause. */
function refusal(error: unknown, ctx: RequestContext): Response {
  const wantsPage = ctx.request.wantsPage;
  if (error instanceof AuthError) {
    // No session at all is how every sign-in starts: nothing to warn about.
    const expected = error.status === 404 || error.status === 405 || error.code === "ERR_NO_SESSION";
    const level = error.status >= 500 ? "error" : expected ? "info" : "warn";
    logEvent(level, "request_refused", { code: error.code, detail: error.detail, cause: describeCause(error.cause) });
    const { url } = ctx.request;
    // Only the gate refuses a page with this code: another account comes back to it. (Never one
    // of our routes, whose query may hold a code.)
    const returnTo = error.code === "ERR_ACCESS_DENIED" ? { returnTo: url.pathname + url.search } : {};
    const retry = ctx.retryHref ? { retryHref: ctx.retryHref } : {};
    return errorResponse(error, { wantsPage, authPrefix: ctx.config.authPrefix, ...retry, ...returnTo });
  }
  logEvent("error", "internal_error", { reason: describeCause(error) });
  return internalErrorResponse(wantsPage);
}

/**
 * The worker's own routes (AUTH_PREFIX, the JWKS). AUTH_PREFIX is configuration, so there is one
 * app per parsed config. Hono's `env` is the request context; its errors go to refusal().
 */
function createOwnRoutes(config: Config) {
  const auth = config.authPrefix;
  const app = new Hono<AppEnv>({ router: new RegExpRouter() });
  app.use(function requestContext(c, next) {
    c.set("ctx", c.env);
    return next();
  });
  app.get(JWKS_PATH, jwksRoute);
  app.get(`${auth}/login`, rateLimit("login"), loginRoute);
  app.get(`${auth}/callback`, rateLimit("callback"), callbackRoute);
  app.get(`${auth}/relay`, rateLimit("callback"), relayRoute);
  app.get(`${auth}/me`, meRoute);
  app.get(`${auth}/health`, healthRoute);
  app.post(`${auth}/logout`, rejectCrossSite, logoutRoute);
  app.get(`${auth}/logout`, logoutPage);
  app.post(`${auth}/refresh`, rejectCrossSite, refreshRoute);
  // Server to server (Google's RISC transmitter): no cookies, no cross-site question.
  app.post(`${auth}/risc`, rateLimit("risc"), riscRoute);
  app.all(`${auth}/login`, methodNotAllowed("GET"));
  app.all(`${auth}/callback`, methodNotAllowed("GET"));
  app.all(`${auth}/relay`, methodNotAllowed("GET"));
  app.all(`${auth}/me`, methodNotAllowed("GET"));
  app.all(`${auth}/logout`, methodNotAllowed("GET, POST"));
  app.all(`${auth}/refresh`, methodNotAllowed("POST"));
  app.all(`${auth}/risc`, methodNotAllowed("POST"));
  // The prefix belongs to the worker: nothing under it ever reaches the origin.
  app.all(auth, notFound);
  app.all(`${auth}/*`, notFound);
  // A path with escapes that decodes to none of the above.
  app.all("*", (c) => gate(c.var.ctx));
  app.onError((error) => {
    throw error;
  });
  return app;
}

const ownRoutes = new WeakMap<Config, Hono<AppEnv>>();

/**
 * True when the request is for the gate alone, so Hono's router (which would send it to "*")
 * is skipped. Hono routes on the percent-decoded path, so a path with any escape goes to it.
 */
function isGateOnly(config: Config, rawUrl: string, pathname: string): boolean {
  const escape = rawUrl.indexOf("%");
  if (escape >= 0 && (escape < rawUrl.indexOf("?") || !rawUrl.includes("?"))) return false;
  const auth = config.authPrefix;
  return pathname !== JWKS_PATH && pathname !== auth && !pathname.startsWith(`${auth}/`);
}

async function route(ctx: RequestContext, executionCtx: ExecutionContext): Promise<Response> {
  const { config, raw } = ctx;
  if (isGateOnly(config, raw.url, ctx.request.url.pathname)) return gate(ctx);
  let app = ownRoutes.get(config);
  if (!app) ownRoutes.set(config, (app = createOwnRoutes(config)));
  return app.fetch(raw, ctx, executionCtx);
}

async function handle(request: Request, env: Env, executionCtx: ExecutionContext, requestId: string): Promise<Response> {
  const result = loadedConfig(env) ?? (await loadConfig(env));
  if (!result.ok) {
    // Every problem at once, so one deploy fixes them all; no problem names a secret's value.
    logEvent("error", "config_invalid", { code: OUTCOME_CONFIG, problems: result.problems.join("; ") });
    if (env.AUTH_METRICS) executionCtx.waitUntil(recordDecision(env.AUTH_METRICS, { outcome: OUTCOME_CONFIG, routeKind: "unconfigured", refreshed: false, workerMs: 0 }));
    const healthPath = `${env.AUTH_PREFIX || DEFAULT_AUTH_PREFIX}/health`;
    return new URL(request.url).pathname === healthPath ? configInvalidHealth() : pageResponse(500, misconfiguredPage());
  }
  const ctx = createRequestContext(result.config, env, request, requestId);
  let response: Response;
  let error: unknown;
  try {
    response = await route(ctx, executionCtx);
  } catch (thrown) {
    error = thrown;
    response = refusal(thrown, ctx);
    // HEAD gets the headers of GET's answer and no body (Hono does the same for its routes).
    if (request.method === "HEAD" && response.body !== null) response = new Response(null, response);
  }
  // Every response, error responses included, carries what the request earned.
  response = withEarnedCookies(response, ctx.cookies);
  // One data point per decision, error responses included; nothing to compute without the dataset.
  // Written after the answer (hashing `sub` is async): metrics never delay a response.
  if (env.AUTH_METRICS) executionCtx.waitUntil(recordDecision(env.AUTH_METRICS, decisionOf(ctx, error)));
  return response;
}

export default {
  fetch(request, env, executionCtx) {
    const requestId = requestIdFor(request);
    return runInRequestScope({ requestId }, () => handle(request, env, executionCtx, requestId));
  },
} satisfies ExportedHandler<Env>;

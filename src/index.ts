import { Hono } from "hono";
import { decisionOf, OUTCOME_CONFIG, recordDecision } from "./app/decision-metrics";
import { createRequestContext, type AppEnv } from "./app/request-context";
import { loadConfig } from "./config/load-config";
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
import { currentRequestId, requestIdFor, runInRequestScope } from "./request-scope";
import { callbackRoute } from "./routes/callback";
import { configInvalidHealth, healthRoute } from "./routes/health";
import { jwksRoute } from "./routes/jwks";
import { loginRoute } from "./routes/login";
import { logoutPage, methodNotAllowed, notFound } from "./routes/pages";
import { riscRoute } from "./routes/risc";
import { relayRoute } from "./routes/relay";
import { logoutRoute, meRoute, refreshRoute } from "./routes/session-routes";

export { SessionFamilies } from "./session/session-families";

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

/** The route table. AUTH_PREFIX is configuration, so there is one app per parsed config. */
function createApp(config: Config) {
  const auth = config.authPrefix;
  const app = new Hono<AppEnv>();

  app.use(async function requestContext(c, next) {
    const ctx = createRequestContext(config, c.env, c.req.raw, currentRequestId() ?? requestIdFor(c.req.raw));
    c.set("ctx", ctx);
    await next();
    // Every response, error responses included, carries what the request earned.
    c.res = withEarnedCookies(c.res, ctx.cookies);
    // One data point per decision, error responses included (onError has answered by now).
    await recordDecision(c.env.AUTH_METRICS, decisionOf(ctx, c.error));
  });

  app.get("/.well-known/jwks.json", jwksRoute);
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
  app.all("*", gate);

  // The one error path: the code decides the status, the log gets code, detail and cause.
  app.onError(function toErrorResponse(error, c) {
    const ctx = c.var.ctx;
    if (error instanceof AuthError) {
      const level = error.status >= 500 ? "error" : error.status === 404 || error.status === 405 ? "info" : "warn";
      logEvent(level, "request_refused", { code: error.code, detail: error.detail, cause: describeCause(error.cause) });
      return errorResponse(error, { wantsPage: ctx?.request.wantsPage ?? false, authPrefix: auth, ...(ctx?.retryHref ? { retryHref: ctx.retryHref } : {}) });
    }
    logEvent("error", "internal_error", { reason: describeCause(error) });
    return internalErrorResponse(ctx?.request.wantsPage ?? false);
  });
  return app;
}

const apps = new WeakMap<Config, Hono<AppEnv>>();

async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const result = await loadConfig(env);
  if (!result.ok) {
    // Every problem at once, so one deploy fixes them all; no problem names a secret's value.
    logEvent("error", "config_invalid", { code: OUTCOME_CONFIG, problems: result.problems.join("; ") });
    await recordDecision(env.AUTH_METRICS, { outcome: OUTCOME_CONFIG, routeKind: "unconfigured", refreshed: false, workerMs: 0 });
    const healthPath = `${env.AUTH_PREFIX || DEFAULT_AUTH_PREFIX}/health`;
    return new URL(request.url).pathname === healthPath ? configInvalidHealth() : pageResponse(500, misconfiguredPage());
  }
  let app = apps.get(result.config);
  if (!app) apps.set(result.config, (app = createApp(result.config)));
  return app.fetch(request, env, ctx);
}

export default {
  fetch(request, env, ctx) {
    return runInRequestScope({ requestId: requestIdFor(request) }, () => handle(request, env, ctx));
  },
} satisfies ExportedHandler<Env>;

import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { loadConfig } from "./config/load-config";
import type { Config } from "./config/parse-config";
import type { Env } from "./env";
import { AuthError } from "./errors";
import { errorResponse } from "./http/error-response";
import { misconfiguredPage, pageResponse } from "./http/pages";
import { logEvent } from "./log";
import { currentRequestId, requestIdFor, runInRequestScope } from "./request-scope";
import { gate } from "./middleware/gate";
import { rateLimit } from "./middleware/rate-limit";
import { rejectCrossSite } from "./middleware/same-origin";
import { callbackRoute } from "./routes/callback";
import { configInvalidHealth, healthRoute } from "./routes/health";
import { jwksRoute } from "./routes/jwks";
import { loginRoute } from "./routes/login";
import { logoutPage, methodNotAllowed, notFound } from "./routes/pages";
import { logoutRoute, meRoute, refreshRoute } from "./routes/session-routes";
import { sessionStoreFor } from "./session/refresh-store";

/** The route table. AUTH_PREFIX is configuration, so there is one app per parsed config. */
function createApp(config: Config) {
  const auth = config.authPrefix;
  const app = new Hono<AppEnv>();

  app.use(async function requestContext(c, next) {
    const requestId = currentRequestId() ?? requestIdFor(c.req.raw);
    c.set("config", config);
    c.set("issuer", config.publicOrigin ?? new URL(c.req.url).origin);
    c.set("store", sessionStoreFor(c.env.SESSIONS));
    c.set("now", Date.now());
    c.set("requestId", requestId);
    await next();
  });

  app.get("/.well-known/jwks.json", jwksRoute);
  app.get(`${auth}/login`, rateLimit("login"), loginRoute);
  app.get(`${auth}/callback`, rateLimit("callback"), callbackRoute);
  app.get(`${auth}/me`, meRoute);
  app.get(`${auth}/health`, healthRoute);
  app.post(`${auth}/logout`, rejectCrossSite, logoutRoute);
  app.get(`${auth}/logout`, logoutPage);
  app.post(`${auth}/refresh`, rejectCrossSite, rateLimit("refresh"), refreshRoute);
  app.all(`${auth}/login`, methodNotAllowed("GET"));
  app.all(`${auth}/callback`, methodNotAllowed("GET"));
  app.all(`${auth}/me`, methodNotAllowed("GET"));
  app.all(`${auth}/logout`, methodNotAllowed("GET, POST"));
  app.all(`${auth}/refresh`, methodNotAllowed("POST"));
  // The prefix belongs to the worker: nothing under it ever reaches the origin.
  app.all(auth, notFound);
  app.all(`${auth}/*`, notFound);
  app.all("*", gate);

  app.onError(function toErrorResponse(error, c) {
    if (error instanceof AuthError) {
      logEvent(error.status >= 500 ? "error" : "warn", "request_refused", { code: error.code, detail: error.detail });
      return errorResponse(c.req.raw, error.status, [], { code: error.code, authPrefix: auth });
    }
    logEvent("error", "internal_error", { reason: error instanceof Error ? error.name : "unknown" });
    return errorResponse(c.req.raw, 500);
  });
  return app;
}

const apps = new WeakMap<Config, Hono<AppEnv>>();

async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const result = await loadConfig(env);
  if (!result.ok) {
    // Every problem at once, so one deploy fixes them all; no problem names a secret's value.
    logEvent("error", "config_invalid", { code: "ERR_CONFIG", problems: result.problems.join("; ") });
    const healthPath = `${env.AUTH_PREFIX || "/auth"}/health`;
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

import { decisionOf, OUTCOME_CONFIG, recordDecision } from "./app/decision-metrics";
import { createRequestContext, type RequestContext } from "./app/request-context";
import { loadConfig, loadedConfig } from "./config/load-config";
import { isOwnPath } from "./config/own-routes";
import { DEFAULT_AUTH_PREFIX, type Config } from "./config/parse-config";
import type { Env } from "./env";
import { AuthError } from "./errors";
import { errorResponse, internalErrorResponse } from "./http/error-response";
import { pageResponse } from "./http/page-shell";
import { misconfiguredPage } from "./http/page-texts";
import { failureFields, logEvent } from "./log";
import { requestIdFor, runInRequestScope } from "./request-scope";
import { rotateSigningKeys, signingKeysAt } from "./keys/key-ring";
import { gate } from "./routes/gate";
import { configInvalidHealth } from "./routes/health";
import { createOwnRoutes } from "./routes/route-table";

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

/** The one error path: the code decides the status, the log gets code, detail and cause. */
function refusal(error: unknown, ctx: RequestContext): Response {
  const wantsPage = ctx.request.wantsPage;
  if (error instanceof AuthError) {
    // No session at all is how every sign-in starts, and a refresh token refused ends one (logged
    // as refresh_refused, and at warn where it was reused): nothing to warn about.
    const expected =
      error.status === 404 ||
      error.status === 405 ||
      error.code === "ERR_NO_SESSION" ||
      error.code.startsWith("ERR_REFRESH_");
    const level = error.status >= 500 ? "error" : expected ? "info" : "warn";
    logEvent(level, "request_refused", failureFields(error));
    const { url } = ctx.request;
    // Only the gate refuses a page with this code: another account comes back to it. (Never one
    // of our routes, whose query may hold a code.)
    const returnTo = error.code === "ERR_ACCESS_DENIED" ? { returnTo: url.pathname + url.search } : {};
    const retry = ctx.retryHref ? { retryHref: ctx.retryHref } : {};
    const audience = { wantsPage, authPrefix: ctx.config.authPrefix, nowMs: ctx.nowMs };
    return errorResponse(error, { ...audience, ...retry, ...returnTo });
  }
  logEvent("error", "internal_error", failureFields(error));
  return internalErrorResponse(wantsPage);
}

const ownRoutes = new WeakMap<Config, ReturnType<typeof createOwnRoutes>>();

/**
 * Where a request goes: our own routes (config/own-routes.ts) to their router, everything else
 * straight to the gate. The router matches on the percent-decoded path, so a path with any escape
 * goes to it too; it hands the gate whatever decodes to none of our routes.
 */
async function route(ctx: RequestContext, executionCtx: ExecutionContext): Promise<Response> {
  const { config, raw } = ctx;
  const escape = raw.url.indexOf("%");
  const escaped = escape >= 0 && (escape < raw.url.indexOf("?") || !raw.url.includes("?"));
  if (!escaped && !isOwnPath(config.authPrefix, ctx.request.url.pathname)) return gate(ctx);
  let app = ownRoutes.get(config);
  if (!app) ownRoutes.set(config, (app = createOwnRoutes(config)));
  return app.fetch(raw, ctx.env, executionCtx);
}

async function handle(
  request: Request,
  env: Env,
  executionCtx: ExecutionContext,
  requestId: string,
): Promise<Response> {
  const result = loadedConfig(env) ?? (await loadConfig(env));
  if (!result.ok) {
    // Every problem at once, so one deploy fixes them all; no problem names a secret's value.
    logEvent("error", "config_invalid", { code: OUTCOME_CONFIG, problems: result.problems.join("; ") });
    if (env.AUTH_METRICS)
      executionCtx.waitUntil(
        recordDecision(env.AUTH_METRICS, {
          outcome: OUTCOME_CONFIG,
          routeKind: "unconfigured",
          refreshed: false,
          workerMs: 0,
        }),
      );
    const healthPath = `${env.AUTH_PREFIX || DEFAULT_AUTH_PREFIX}/health`;
    return new URL(request.url).pathname === healthPath
      ? configInvalidHealth()
      : pageResponse(500, misconfiguredPage());
  }
  const ctx = createRequestContext(result.config, env, request, requestId);
  let response: Response;
  let error: unknown;
  try {
    if (result.config.keyRotation) {
      // Usually the isolate's copy, at once; a store read when the isolate starts and then hourly.
      // Unavailable, they fail only what reads them (ctx.keys throws the store's error): a public path needs none.
      const keys = signingKeysAt(result.config, env, ctx.nowMs);
      const loaded =
        keys instanceof Promise ? await keys.catch((failure: Error) => void (ctx.keysFailure = failure)) : keys;
      if (loaded) ctx.keys = loaded;
    }
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

/**
 * The cron trigger ([triggers] in wrangler.toml): with KEY_ROTATION = "auto", rotates the worker's
 * signing keys when one is due (keys/key-ring.ts); with "manual" there is nothing to do.
 */
async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const result = await loadConfig(env);
  if (!result.ok) {
    logEvent("error", "config_invalid", { code: OUTCOME_CONFIG, problems: result.problems.join("; ") });
    return;
  }
  if (!result.config.keyRotation) return;
  try {
    const run = await rotateSigningKeys(result.config, env, controller.scheduledTime);
    logEvent("info", "signing_keys_checked", {
      cron: controller.cron,
      created: run.created?.kid,
      signsFrom: run.created && new Date(run.created.signsFromMs).toISOString(),
      removed: run.removed.join(",") || undefined,
    });
  } catch (error) {
    // Thrown again, so the dashboard shows the run as failed; the next run tries again.
    logEvent("error", "signing_keys_rotation_failed", failureFields(error));
    throw error;
  }
}

export default {
  fetch(request, env, executionCtx) {
    const requestId = requestIdFor(request);
    return runInRequestScope({ requestId }, () => handle(request, env, executionCtx, requestId));
  },
  scheduled(controller, env) {
    return runInRequestScope({ requestId: `cron-${controller.scheduledTime}` }, () => scheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;

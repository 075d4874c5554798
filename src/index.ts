import { env as isolateEnv } from "cloudflare:workers";
import { OUTCOME_CONFIG, recordDecision } from "./app/decision-metrics";
import { loadConfig, loadedConfig, preloadConfig } from "./config/load-config";
import { DEFAULT_AUTH_PREFIX, type Config } from "./config/parse-config";
import type { Env } from "./env";
import { pageResponse } from "./http/page-shell";
import { misconfiguredPage } from "./http/page-texts";
import { failureFields, logEvent } from "./log";
import { requestIdFor, runInRequestScope } from "./request-scope";
import { rotateSigningKeys } from "./keys/key-ring";
import { configInvalidHealth } from "./routes/health";
import { createApp } from "./routes/route-table";

export { SessionFamilies } from "./session/session-families";

const apps = new WeakMap<Config, ReturnType<typeof createApp>>();

function appFor(config: Config): ReturnType<typeof createApp> {
  let app = apps.get(config);
  if (!app) apps.set(config, (app = createApp(config)));
  return app;
}

/**
 * The configuration parsed, its keys imported and the app built while the isolate starts, not
 * on its first request: Cloudflare starts an isolate while the TLS handshake of the request that
 * needs it is under way, so that request no longer waits for this (bench/README.md, "The first
 * request after isolate start"). Only I/O is left for the request: with KEY_ROTATION = "auto",
 * reading the keys from the store. An invalid configuration is left for the first request to
 * report, and nothing that fails here is kept.
 */
void preloadConfig(isolateEnv)
  .then((config) => config && appFor(config))
  .catch(() => undefined);

/**
 * Where a request goes: with a valid configuration, to the worker's one Hono app
 * (routes/route-table.ts): the request read once into its context, our own routes, and the gate
 * for everything else, with one error handler; with an invalid one, to the misconfigured page.
 */
async function handle(request: Request, env: Env, executionCtx: ExecutionContext): Promise<Response> {
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
  return appFor(result.config).fetch(request, env, executionCtx);
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
    return runInRequestScope({ requestId }, () => handle(request, env, executionCtx));
  },
  scheduled(controller, env) {
    return runInRequestScope({ requestId: `cron-${controller.scheduledTime}` }, () => scheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;

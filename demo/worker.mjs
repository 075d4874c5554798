// Start this repo's worker locally (workerd through wrangler's programmatic dev API),
// with its configuration given entirely in code: no `.dev.vars`, no `.env`, no
// persistence, no inspector, no telemetry.
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { loadWrangler } from "../scripts/lib/wrangler.mjs";

const DEFAULT_CONFIG = fileURLToPath(new URL("../wrangler.toml", import.meta.url));
const ORIGIN_WORKER_CONFIG = fileURLToPath(new URL("./origin-worker/wrangler.toml", import.meta.url));

// wrangler reads these when it is loaded and whenever it would call home: set them first
// (wrangler is imported dynamically below) so nothing tries the internet.
process.env.WRANGLER_SEND_METRICS = "false";
process.env.WRANGLER_SEND_ERROR_REPORTS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

const READY_TIMEOUT_MS = 60_000;

// wrangler does not fail when its port is taken (it waits), so check first. There is a
// small race with whoever grabs the port next, which is fine for a demo and tests.
async function assertPortFree(host, port) {
  await new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error) => {
      const busy = new Error(`port ${port} on ${host} is already in use`);
      busy.code = error.code;
      reject(busy);
    });
    probe.listen(port, host, () => probe.close(resolve));
  });
}

/**
 * Start the worker from `wrangler.toml` on 127.0.0.1.
 *
 * Every key of `vars` becomes a `plain_text` binding and every key of `secrets` a
 * `secret_text` binding; they override `[vars]` from wrangler.toml. `SESSIONS` is a local
 * (miniflare) KV namespace, in memory, empty at each start.
 *
 * @param {object} [options]
 * @param {number} [options.port=0] 0 picks a free port.
 * @param {Record<string, string>} [options.vars]
 * @param {Record<string, string>} [options.secrets]
 * @param {string} [options.config] wrangler config to use instead of the repo's wrangler.toml (for trying this helper with another script).
 * @param {"none"|"error"|"warn"|"info"|"log"|"debug"} [options.logLevel="warn"] wrangler's own log level; the worker's console output is printed regardless.
 * @param {{registry: string, service: string}} [options.originService] bind ORIGIN to this worker (see startOriginWorker), found through this dev registry directory.
 * @param {boolean} [options.testScheduled=false] serve `/__scheduled`, which runs the cron trigger's handler once (`wrangler dev --test-scheduled`).
 * @param {boolean} [options.rebuildOnChange=true] rebuild and reload the worker when a source file changes; false bundles it once (see startDev).
 * @returns {Promise<{url: string, worker: object, dispose(): Promise<void>}>}
 */
export async function startWorker({
  port = 0,
  vars = {},
  secrets = {},
  config = DEFAULT_CONFIG,
  logLevel = "warn",
  originService,
  testScheduled = false,
  rebuildOnChange = true,
} = {}) {
  const bindings = {
    // A local KV namespace; the id only names miniflare's in-memory store.
    SESSIONS: { type: "kv_namespace", id: "demo-sessions" },
  };
  for (const [name, value] of Object.entries(vars)) bindings[name] = { type: "plain_text", value: String(value) };
  for (const [name, value] of Object.entries(secrets)) bindings[name] = { type: "secret_text", value: String(value) };
  if (originService) bindings.ORIGIN = { type: "service", service: originService.service };
  return startDev({
    config,
    bindings,
    port,
    logLevel,
    registry: originService?.registry,
    testScheduled,
    rebuildOnChange,
  });
}

/**
 * What the worker started by startWorker() with these options would refuse, by the worker's own
 * parser: wrangler.toml's top-level [vars] with `vars` and `secrets` over them, as wrangler gives
 * them, and stand-ins for the bindings. Empty when it would serve; a wrangler.toml that does not
 * parse is one problem, with its line.
 *
 * @param {{vars?: Record<string, string>, secrets?: Record<string, string>, config?: string, originService?: unknown}} [options] `originService`: anything but undefined or false checks the worker with an ORIGIN binding.
 * @returns {Promise<string[]>}
 */
export async function workerConfigProblems({ vars = {}, secrets = {}, config = DEFAULT_CONFIG, originService } = {}) {
  const { unstable_readConfig } = loadWrangler();
  const { tomlProblem, workerProblems } = await import("../scripts/check-config.mjs");
  let fromToml;
  try {
    fromToml = unstable_readConfig({ config }).vars ?? {};
  } catch (error) {
    const problem = tomlProblem(error);
    if (!problem) throw error;
    return [problem];
  }
  return workerProblems({
    ...fromToml,
    ...vars,
    ...secrets,
    SESSIONS: { get() {} },
    SESSION_FAMILIES: { idFromName() {} },
    ...(originService ? { ORIGIN: { fetch() {} } } : {}),
  });
}

/**
 * Start demo/origin-worker/: the origin as a Worker of its own, in front of the (private)
 * service at `privateOriginUrl`, registered in the dev registry `registry` so that a worker
 * started with `originService: { registry, service: name }` reaches it by its ORIGIN binding.
 *
 * @param {{privateOriginUrl: string, registry: string, logLevel?: string, rebuildOnChange?: boolean}} options as startWorker's.
 * @returns {Promise<{url: string, name: string, worker: object, dispose(): Promise<void>}>}
 */
export async function startOriginWorker({ privateOriginUrl, registry, logLevel = "warn", rebuildOnChange = true }) {
  const name = "demo-origin-worker";
  const started = await startDev({
    config: ORIGIN_WORKER_CONFIG,
    bindings: { PRIVATE_ORIGIN_URL: { type: "plain_text", value: privateOriginUrl } },
    port: 0,
    logLevel,
    registry,
    rebuildOnChange,
  });
  return { ...started, name };
}

/**
 * Bundling once. Wrangler 4.86 bundles a worker it starts with an esbuild watch context, whatever
 * `dev.watch` says, and esbuild's watch mode polls every file of the bundle (src/, hono, jose...)
 * for as long as the worker runs: about 15 ms of CPU a second per worker, measured here, which
 * the tests' dozen workers, idle most of a run, spent for nothing. With a custom build step
 * wrangler bundles once (esbuild's plain build, with the same options and dev middleware) and
 * watches only the step's `watch` path; the step itself does nothing, in sh and cmd alike. It also
 * ends a race at dispose: wrangler removes the watched bundle's directory before it stops the
 * watch, which then rebuilds and prints "Could not resolve .../middleware-loader.entry.ts".
 */
const BUNDLE_ONCE = (config) => ({ custom: { command: "exit 0", watch: config } });

async function startDev({ port, logLevel, registry, bindings, testScheduled = false, rebuildOnChange, ...worker }) {
  if (port !== 0) await assertPortFree("127.0.0.1", port);
  const { unstable_startWorker } = loadWrangler();
  const started = await unstable_startWorker({
    ...worker,
    // wrangler reads `.dev.vars` whenever `envFiles` is empty or absent (an empty array does
    // NOT turn it off). A non-empty list skips `.dev.vars`; the one file named here never
    // exists, so no `.env` file is read either (wrangler logs a missing one at debug level only).
    envFiles: [".demo-no-env-file-please"],
    bindings,
    sendMetrics: false,
    // `wrangler dev` derives this from compatibility_flags; the programmatic API does not, and
    // without it warns at every start that node:async_hooks needs nodejs_compat (it has it).
    build: { nodejsCompatMode: "v2", ...(rebuildOnChange ? {} : BUNDLE_ONCE(worker.config)) },
    dev: {
      server: { hostname: "127.0.0.1", port },
      inspector: false,
      persist: false,
      remote: false,
      watch: false,
      liveReload: false,
      generateTypes: false,
      enableContainers: false,
      logLevel,
      testScheduled,
      // Workers started with the same registry directory find each other's service bindings.
      ...(registry ? { registry } : {}),
    },
  });
  let timer;
  // Wrangler reports a worker that cannot start as an "error" event of its dev session.
  let onError;
  const failed = new Promise((_, reject) => started.raw.once("error", (onError = reject)));
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the worker did not start within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
    });
    const url = await Promise.race([started.url, failed, timeout]);
    // `ready` and `url` are wrangler's proxy listening on the port, not the worker: the worker's
    // own workerd is still starting, a second or more, and wrangler says "Ready on ..." only once
    // it runs. Resolved here once the worker runs, so that whatever a caller prints next comes
    // after that line and the first request is not held by the proxy. (Wrangler waits for the
    // same promise before it connects a remote proxy session.)
    const workerRunning = started.raw.proxy?.localServerReady?.promise;
    if (!workerRunning) throw new Error("this wrangler does not say when the worker runs (proxy.localServerReady)");
    await Promise.race([workerRunning, failed, timeout]);
    return {
      url: url.origin,
      worker: started,
      dispose: () => started.dispose(),
    };
  } catch (error) {
    await started.dispose().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
    started.raw.off("error", onError);
  }
}

// Starts what is measured: the origin (a child Node process) and workerd through Miniflare's
// API, never `wrangler dev` (whose proxy is 20-30x slower than workerd).
//
// Every worker gets its own workerd socket via Miniflare's `unsafeDirectSockets`: the load
// generator talks to the worker itself, not through Miniflare's entry worker (a JS router that
// would add its own CPU to every request). All workers share one workerd process, so the peers
// run on the same runtime, against the same origin, and one CPU counter covers them all; only
// one scenario runs at a time, so the counter is that scenario's.
import { fork } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { newWorkerdChild, workerdChildren } from "./workerd-process.mjs";

// Miniflare is CommonJS: require() loads it without the scan of its bundle for export names that
// import() makes first, half a second of CPU per process here (see scripts/lib/wrangler.mjs).
const { Miniflare } = createRequire(import.meta.url)("miniflare");

export const COMPATIBILITY_DATE = "2026-05-03";

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startOrigin() {
  const child = fork(new URL("./origin.mjs", import.meta.url).pathname, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise((resolve, reject) => {
    child.once("message", (message) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`origin exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    counts: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve(message.counts));
        child.send("counts");
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.send("stop");
        setTimeout(() => child.kill(), 2000).unref();
      }),
  };
}

/** The bindings of the real worker (docs/configuration.md). */
export function workerBindings({ originUrl, publicUrl, keySet }) {
  return {
    ORIGIN_URL: originUrl,
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: "https://accounts.google.com", // never contacted in these scenarios
    OIDC_CLIENT_ID: "1234-bench.apps.googleusercontent.com",
    OIDC_CLIENT_SECRET: "bench-client-secret",
    SESSION_KEYS: JSON.stringify(keySet),
    ALLOWED_DOMAINS: "*",
    PUBLIC_PATHS: "/public/*",
  };
}

// Worker logs (one JSON line per refresh in scenario (e)) are consumed and dropped, not
// printed: the worker still pays for console.log, the terminal does not fill up.
function drainStdio(stdout, stderr) {
  stdout.resume();
  let shown = 0;
  stderr.on("data", (chunk) => {
    const text = String(chunk);
    if (/error/i.test(text) && !/"level":"(info|warn)"/.test(text) && shown++ < 5)
      process.stderr.write(`[workerd] ${text}`);
  });
}

/**
 * One workerd with the given workers, each `{ name, scriptPath, bindings, kv, durableObjects?,
 * port, compatibilityDate?, compatibilityFlags? }` on its own direct socket (`durableObjects`:
 * Miniflare's option as is, e.g. `{ SESSION_FAMILIES: { className, useSQLite: true } }`, or with
 * `scriptName` for a binding to another worker's class). Returns the Miniflare instance, the workerd PID and each worker's URL.
 * `inspector: true` opens workerd's DevTools port (bench/inspector.mjs), for the memory run only;
 * `kvPersist`, a directory, keeps KV there across processes (the first request with stored signing keys).
 */
export async function startWorkerd(workers, { inspector = false, kvPersist } = {}) {
  const before = workerdChildren();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    ...(inspector ? { inspectorPort: 0 } : {}),
    ...(kvPersist ? { kvPersist } : {}),
    handleRuntimeStdio: drainStdio,
    workers: workers.map((worker) => ({
      name: worker.name,
      modules: true,
      scriptPath: worker.scriptPath,
      compatibilityDate: worker.compatibilityDate ?? COMPATIBILITY_DATE,
      compatibilityFlags: worker.compatibilityFlags ?? [],
      ...(worker.kv ? { kvNamespaces: ["SESSIONS"] } : {}),
      ...(worker.durableObjects ? { durableObjects: worker.durableObjects } : {}),
      bindings: worker.bindings,
      unsafeDirectSockets: [{ host: "127.0.0.1", port: worker.port }],
    })),
  });
  await mf.ready;
  const pid = newWorkerdChild(before);
  const urls = Object.fromEntries(workers.map((worker) => [worker.name, `http://127.0.0.1:${worker.port}`]));
  return { mf, pid, urls };
}

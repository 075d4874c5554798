// Per-isolate costs of the real worker, each on a fresh workerd of its own (nothing else in it,
// no KV writes), so that nothing from the load rounds is counted.
//
// First request: workerd evaluates the worker's module when it starts, but the worker does
// its own set-up lazily, on the first request (parse the configuration, import and check the
// signing keys, build the Hono app), and V8 has compiled nothing hot yet. So: start a fresh
// workerd, send one gated request with a valid session, then 50 more, each on a new
// connection so that all 51 pay the same TCP set-up; extra = first - median(next 50), in wall
// time and in workerd CPU. Repeated on several fresh processes, median kept.
// (On Cloudflare, script parse and evaluation also happen at isolate start, often hidden by
// pre-warming during the TLS handshake; they are not in this figure.)
//
// Memory: after a warm-up, after a control run that reuses one session, then after each of two
// runs of distinct sessions (a new access JWT, for a new user, per request), two readings:
// the live JS heap of our worker after a full GC (bench/inspector.mjs: what the isolate really
// keeps, so an unbounded per-session cache shows as growth the control run does not have) and
// the VmRSS of the workerd process (asked for, but it grows under any load, see inspector.mjs).
import { Agent, request } from "node:http";
import { runLoad } from "./load.mjs";
import { freePort, startWorkerd } from "./stack.mjs";
import { distinctCookies, sameCookie } from "./scenarios.mjs";
import { connectInspector } from "./inspector.mjs";
import { cpuNs, memoryKiB } from "./workerd-process.mjs";

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function get(url, cookie, agent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: "*/*", cookie } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

async function freshWorker(build, bindingsFor, options) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const stack = await startWorkerd(
    [
      {
        name: "edge-auth",
        scriptPath: build.worker,
        kv: true,
        bindings: bindingsFor(publicUrl),
        port,
        compatibilityDate: build.compatibilityDate,
        compatibilityFlags: build.compatibilityFlags,
      },
    ],
    options,
  );
  return { ...stack, url: stack.urls["edge-auth"], publicUrl };
}

/**
 * `bindingsFor(publicUrl)` gives the worker's bindings; `tokenFor(publicUrl)` a valid access JWT
 * for that issuer; `kvPersist`, a directory, for KEY_ROTATION = "auto" (below). Returns
 * per-repeat figures and their medians.
 */
export async function measureFirstRequest({ build, bindingsFor, tokenFor, repeats, following = 50, kvPersist }) {
  const runs = [];
  const failures = [];
  if (kvPersist) {
    // KEY_ROTATION = "auto": a deployment's very first request makes the first signing key and
    // stores it; every later isolate reads it from the store. That later case is measured: one
    // workerd makes the key, then each fresh one starts on the same KV.
    const maker = await freshWorker(build, bindingsFor, { kvPersist });
    try {
      const cookie = `__Host-access=${await tokenFor(maker.publicUrl)}`;
      const status = await get(`${maker.url}/app/first`, cookie, new Agent({ keepAlive: false }));
      if (status !== 200) failures.push(`first-request key set-up: HTTP ${status}`);
    } finally {
      await maker.mf.dispose();
    }
  }
  for (let i = 0; i < repeats; i++) {
    const worker = await freshWorker(build, bindingsFor, { kvPersist });
    try {
      const cookie = `__Host-access=${await tokenFor(worker.publicUrl)}`;
      const url = `${worker.url}/app/first`;
      const agent = new Agent({ keepAlive: false });
      const times = [];
      const cpus = [];
      for (let n = 0; n <= following; n++) {
        const cpuBefore = cpuNs(worker.pid);
        const started = process.hrtime.bigint();
        const status = await get(url, cookie, agent);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        cpus.push((cpuNs(worker.pid) - cpuBefore) / 1e6);
        if (status !== 200) failures.push(`first-request run ${i + 1}, request ${n + 1}: HTTP ${status}`);
      }
      const rest = median(times.slice(1));
      const restCpu = median(cpus.slice(1));
      runs.push({
        firstMs: times[0],
        restMedianMs: rest,
        extraMs: times[0] - rest,
        firstCpuMs: cpus[0],
        restCpuMedianMs: restCpu,
        extraCpuMs: cpus[0] - restCpu,
      });
    } finally {
      await worker.mf.dispose();
    }
  }
  return {
    runs,
    failures,
    extraMs: median(runs.map((r) => r.extraMs)),
    firstMs: median(runs.map((r) => r.firstMs)),
    restMedianMs: median(runs.map((r) => r.restMedianMs)),
    extraCpuMs: median(runs.map((r) => r.extraCpuMs)),
  };
}

/** RSS before/after runs of one reused session and of `distinct` new sessions, twice. */
export async function measureMemory({ build, bindingsFor, tokenFor, poolFor, control, distinct, connections }) {
  const worker = await freshWorker(build, bindingsFor, { inspector: true });
  const inspector = await connectInspector(worker.mf, "edge-auth");
  const failures = [];
  const steps = [];
  try {
    const token = await tokenFor(worker.publicUrl);
    const pool = await poolFor(worker.publicUrl, distinct * 2);
    const url = worker.url;
    const phase = async (name, cookies, amount) => {
      const result = await runLoad({ url, path: "/app/mem", nextCookie: cookies, connections, amount });
      if (result.non2xx > 0 || result.errors > 0)
        failures.push(
          `memory ${name}: ${result.non2xx} non-2xx, ${result.errors} errors (${JSON.stringify(result.statuses)})`,
        );
      const heap = await inspector.liveHeap();
      steps.push({
        phase: name,
        requests: result.responses,
        heapUsedBytes: heap.usedBytes,
        heapTotalBytes: heap.totalBytes,
        ...memoryKiB(worker.pid),
      });
    };
    await phase("warm-up (same session)", sameCookie("__Host-access", token), 1000);
    await phase(`control: ${control} requests, same session`, sameCookie("__Host-access", token), control);
    const fresh = distinctCookies("__Host-access", pool);
    await phase(`${distinct} distinct sessions`, fresh, distinct);
    await phase(`${distinct} more distinct sessions`, fresh, distinct);
    if (fresh.reused > 0) failures.push(`memory: token pool wrapped (${fresh.reused} reused)`);
  } finally {
    inspector.close();
    await worker.mf.dispose();
  }
  const [warm, controlStep, first, second] = steps;
  const growth = (field, a, b) => (a && b ? b[field] - a[field] : NaN);
  return {
    steps,
    failures,
    distinct,
    control,
    heap: {
      control: growth("heapUsedBytes", warm, controlStep),
      firstDistinct: growth("heapUsedBytes", controlStep, first),
      secondDistinct: growth("heapUsedBytes", first, second),
    },
    rssKiB: {
      control: growth("rssKiB", warm, controlStep),
      firstDistinct: growth("rssKiB", controlStep, first),
      secondDistinct: growth("rssKiB", first, second),
    },
  };
}

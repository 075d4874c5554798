// Micro-benchmark driver for bench/micro-worker.ts: the CPU cost of one verification (and of
// the gate's other per-request pieces) inside workerd.
//
// Method: a clock inside workerd does not move while code runs, so each mode is timed by the
// kernel instead: the workerd process CPU (bench/workerd-process.mjs) is read before and after
// a batch of requests to the micro-worker, and the same batch in mode "noop" (same body, same
// JSON parsing and config lookup, no operation) is subtracted. Two ways, both reported:
//   - one operation per request, 8 requests in flight, as the gate does it, modes alternating
//     in chunks of 50 requests. This is the figure that counts: measured here, crypto.subtle
//     costs clearly more per call this way than in a hot loop (cold caches, promise and
//     I/O-context overhead around each call);
//   - a hot loop of K operations in one request, sequentially: the operation's own cost.
// Modes are interleaved over several rounds and the median is kept, so drift and noise hit all
// alike. "Seen" repeats one token (verified once before); "fresh" sends tokens this isolate has
// never been sent, from a pool of distinct tokens: each verification function has one cursor
// over the pool, shared by both ways, so no token is ever sent to it twice.
import { Agent, request } from "node:http";
import { cpuNs } from "./workerd-process.mjs";

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const CHUNK = 50;

function post(url, body) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body));
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": payload.length } },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200)
            return reject(new Error(`micro-worker ${body.mode}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          resolve(JSON.parse(text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function sendAll(url, bodies, inFlight, onResult) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, bodies.length) }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        onResult(await post(url, body), body);
      }
    }),
  );
}

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * `freshPool`: distinct valid access JWTs (see microPoolSize). `seenToken`: one valid JWT.
 * Returns CPU µs per operation per mode, one per request (`perRequest`) and in a hot loop
 * (`hotLoop`), medians over rounds, plus failures.
 */
export async function runMicro({
  url,
  pid,
  seenToken,
  freshPool,
  rounds,
  requestsPerMode,
  opsPerRequest,
  singleRequests,
  inFlight = 8,
}) {
  const K = opsPerRequest;
  const R = requestsPerMode;
  const cursors = new Map();
  const fresh = (fn, count) => {
    const start = cursors.get(fn) ?? 0;
    cursors.set(fn, start + count);
    if (start + count > freshPool.length) throw new Error(`micro: fresh token pool too small (${freshPool.length})`);
    return freshPool.slice(start, start + count);
  };
  const seen = (count) => Array(count).fill(seenToken);
  // KV operations cost ~10x a verification: fewer per request, each key written once (a new
  // key per put, as a refresh does), then read back.
  const KV_OPS = Math.max(2, Math.round(K / 10));
  let kvBatch = 0;
  let kvWritten = [];
  const kvNewKeys = () => (kvWritten = Array.from({ length: KV_OPS }, (_, i) => `bench:kv:${kvBatch++}:${i}`));

  // The first five of each table were asked for: an error in them is a failure. The others
  // break the gate down; they follow the source's current function signatures, and one that
  // no longer fits is reported as n/a instead.
  const single = [
    { id: "noop", mode: "noop", tokens: () => fresh("noop", 1), required: true },
    { id: "ours-fresh", mode: "ours", tokens: () => fresh("ours", 1), required: true },
    { id: "ours-seen", mode: "ours", tokens: () => seen(1), required: true },
    { id: "raw-fresh", mode: "raw", tokens: () => fresh("raw", 1), required: true },
    { id: "raw-seen", mode: "raw", tokens: () => seen(1), required: true },
    { id: "jose-key-fresh", mode: "jose-key", tokens: () => fresh("jose-key", 1) },
    { id: "jose-jwks-fresh", mode: "jose-jwks", tokens: () => fresh("jose-jwks", 1) },
    { id: "assert", mode: "assert", tokens: () => seen(1) },
    { id: "assert-cached", mode: "assert-cached", tokens: () => seen(1) },
  ];
  const loop = [
    { id: "noop", mode: "noop", tokens: () => fresh("noop", K), required: true },
    { id: "ours-fresh", mode: "ours", tokens: () => fresh("ours", K), required: true },
    { id: "ours-seen", mode: "ours", tokens: () => seen(K), required: true },
    { id: "raw-fresh", mode: "raw", tokens: () => fresh("raw", K), required: true },
    { id: "raw-seen", mode: "raw", tokens: () => seen(K), required: true },
    { id: "jose-key-fresh", mode: "jose-key", tokens: () => fresh("jose-key", K) },
    { id: "jose-jwks-fresh", mode: "jose-jwks", tokens: () => fresh("jose-jwks", K) },
    { id: "assert", mode: "assert", tokens: () => seen(K) },
    { id: "assert-cached", mode: "assert-cached", tokens: () => seen(K) },
    { id: "headers", mode: "headers", tokens: () => seen(K) },
    { id: "config", mode: "config", tokens: () => seen(K) },
    {
      id: "noop-kv",
      mode: "noop",
      tokens: () => Array.from({ length: KV_OPS }, (_, i) => `bench:kv:noop:${i}`),
      ops: KV_OPS,
      required: true,
    },
    { id: "kv-put", mode: "kv-put", tokens: kvNewKeys, ops: KV_OPS, baseline: "noop-kv" },
    { id: "kv-get", mode: "kv-get", tokens: () => kvWritten, ops: KV_OPS, baseline: "noop-kv" },
  ];

  const failures = [];
  const unavailable = new Map();
  const check = (m, ops) => (result) => {
    const problem = result.missing
      ? `${result.missing} not found in the source`
      : result.error
        ? result.error
        : result.ok !== ops
          ? `${result.ok}/${ops} operations succeeded`
          : undefined;
    if (!problem) return;
    if (m.required) failures.push(`micro ${m.id}: ${problem}`);
    else unavailable.set(m.id, problem);
  };

  // Warm every mode (JIT, key import, the "seen" token seen once) with seen tokens only.
  for (const m of loop) {
    const tokens = ["ours", "raw", "jose-key", "jose-jwks", "noop"].includes(m.mode) && !m.ops ? seen(K) : m.tokens();
    check(m, m.ops ?? K)(await post(url, { mode: m.mode, tokens }));
  }
  for (const m of single) await post(url, { mode: m.mode, tokens: seen(1) });

  const perRequest = new Map(single.map((m) => [m.id, []]));
  const hotLoop = new Map(loop.map((m) => [m.id, []]));
  for (let round = 0; round < rounds; round++) {
    // One operation per request: modes alternate in chunks of CHUNK requests, and each chunk is
    // compared with the "noop" chunk next to it; the median over all chunks of all rounds is
    // kept, so that a noisy moment on the machine (or a GC) lands in a few chunks, not in a mode.
    for (let done = 0; done < singleRequests; done += CHUNK) {
      const count = Math.min(CHUNK, singleRequests - done);
      const chunkCpu = new Map();
      for (const m of single) {
        const bodies = Array.from({ length: count }, () => ({ mode: m.mode, tokens: m.tokens() }));
        const before = cpuNs(pid);
        await sendAll(url, bodies, inFlight, check(m, 1));
        chunkCpu.set(m.id, (cpuNs(pid) - before) / count / 1000);
      }
      for (const m of single)
        perRequest.get(m.id).push(m.id === "noop" ? chunkCpu.get("noop") : chunkCpu.get(m.id) - chunkCpu.get("noop"));
    }
    const cpu = new Map();
    for (const m of loop) {
      // Build the bodies first, so the window holds nothing but workerd serving them.
      const bodies = Array.from({ length: R }, () => ({ mode: m.mode, tokens: m.tokens() }));
      const before = cpuNs(pid);
      await sendAll(url, bodies, 1, check(m, m.ops ?? K));
      cpu.set(m.id, cpuNs(pid) - before);
    }
    for (const m of loop) {
      if (m.mode === "noop") hotLoop.get(m.id).push(cpu.get(m.id) / R / 1000);
      else hotLoop.get(m.id).push((cpu.get(m.id) - cpu.get(m.baseline ?? "noop")) / (R * (m.ops ?? K)) / 1000);
    }
  }
  const summarize = (map) =>
    Object.fromEntries([...map].map(([id, values]) => [id, unavailable.has(id) ? NaN : median(values)]));
  return {
    perRequest: summarize(perRequest),
    hotLoop: summarize(hotLoop),
    rawRounds: { perRequest: Object.fromEntries(perRequest), hotLoop: Object.fromEntries(hotLoop) },
    failures: [...new Set(failures)],
    unavailable: Object.fromEntries(unavailable),
    rounds,
    singleRequests,
    inFlight,
    requestsPerMode: R,
    opsPerRequest: K,
    kvOpsPerRequest: KV_OPS,
  };
}

/** Distinct tokens the micro-benchmark needs (each verification function walks its own cursor). */
export function microPoolSize({ rounds, requestsPerMode, opsPerRequest, singleRequests }) {
  return rounds * (singleRequests + requestsPerMode * opsPerRequest) + opsPerRequest;
}

export function closeMicro() {
  agent.destroy();
}

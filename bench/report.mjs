// Turns the measurements into the printed report: the scenario table, the ratios, the
// micro-benchmark, bundle/first-request/memory, and the project's targets next to the figures.
// Targets are printed; only `--check` (run.mjs) turns a missed one of the request path's into a
// non-zero exit.

const KiB = 1024;
export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const fmt = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const pad = (text, width) => String(text).padStart(width);
const padEnd = (text, width) => String(text).padEnd(width);
const x = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : "n/a");
const x3 = (value) => (Number.isFinite(value) ? `${value.toFixed(3)}x` : "n/a");

/** Median figures of one scenario over its rounds. */
export function summarize(scenario, rounds) {
  const cpu = rounds.map((r) => r.cpuNs / r.responses / 1000);
  const ticks = rounds.map((r) => r.ticksNs / r.responses / 1000);
  const rps = rounds.map((r) => r.requestsPerSecond);
  const other = rounds.map((r) => r.otherCpuNs / r.responses / 1000);
  return {
    id: scenario.id,
    label: scenario.label,
    rounds: rounds.length,
    requests: rounds.reduce((sum, r) => sum + r.responses, 0),
    requestsPerSecond: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuUsPerRequest: scenario.worker ? median(cpu) : NaN,
    cpuMin: scenario.worker ? Math.min(...cpu) : NaN,
    cpuMax: scenario.worker ? Math.max(...cpu) : NaN,
    ticksCpuUsPerRequest: scenario.worker ? median(ticks) : NaN,
    otherCpuUsPerRequest: median(other),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    reusedCredentials: scenario.cookies.reused,
  };
}

export function scenarioTable(summaries) {
  const lines = [];
  lines.push(
    `${padEnd("id", 4)} ${padEnd("scenario", 35)} ${pad("req/s", 7)} ${pad("(min-max)", 11)} ${pad("p50 ms", 7)} ${pad("p99 ms", 7)} ${pad("CPU µs/req", 10)} ${pad("(min-max)", 11)} ${pad("ticks", 6)} ${pad("gen+orig", 8)} ${pad("non2xx", 6)}`,
  );
  lines.push("-".repeat(lines[0].length));
  for (const s of summaries) {
    lines.push(
      `${padEnd(s.id, 4)} ${padEnd(s.label, 35)} ${pad(fmt(s.requestsPerSecond), 7)} ${pad(`${fmt(s.rpsMin)}-${fmt(s.rpsMax)}`, 11)} ${pad(fmt(s.p50Ms, 2), 7)} ${pad(fmt(s.p99Ms, 2), 7)} ${pad(fmt(s.cpuUsPerRequest), 10)} ${pad(Number.isFinite(s.cpuMin) ? `${fmt(s.cpuMin)}-${fmt(s.cpuMax)}` : "", 11)} ${pad(fmt(s.ticksCpuUsPerRequest), 6)} ${pad(fmt(s.otherCpuUsPerRequest), 8)} ${pad(s.non2xx + s.errors, 6)}`,
    );
  }
  return lines;
}

function verdict(met, text) {
  return `${met ? "MEETS " : "MISSES"}  ${text}`;
}

/**
 * The request path's targets, held by `npm run bench -- --check` (which fails when one is missed):
 * CPU per request against the peers and the 5-line floor, measured side by side in one run;
 * our first-time verification against the raw `crypto.subtle.verify` it rests on; the first
 * request after isolate start (with KEY_ROTATION = "manual" and "auto"); the bundle.
 */
export const HELD_LIMITS = {
  knownVsOidcAuth: 0.85,
  knownVsJwk: 0.7,
  newVsJwk: 1.15,
  verifyVsRaw: 1.3,
  bareVsFloor: 1.2,
  firstRequestExtraMs: 10,
  bundleGzipBytes: 60 * KiB,
};

function heldTargets({ ratios, cpu, hot, bundle, firstRequest, firstRequestAuto }) {
  const L = HELD_LIMITS;
  const ratio = (name, value, limit, text) => ({
    name,
    value,
    limit,
    met: value <= limit,
    text: `${text} <= ${limit.toFixed(2)}x: ${x3(value)} (${value <= limit ? "margin" : "over by"} ${fmt((Math.abs(value - limit) * 100) / limit, 1)}%)`,
  });
  const first = (name, result, text) => ({
    name,
    value: result?.extraMs,
    limit: L.firstRequestExtraMs,
    met: result?.extraMs <= L.firstRequestExtraMs,
    text: `${text} <= ${L.firstRequestExtraMs} ms extra: ${fmt(result?.extraMs, 1)} ms (median of ${result?.runs.length ?? 0} fresh isolates; ${fmt(result?.extraCpuMs, 1)} ms of workerd CPU)`,
  });
  return [
    ratio(
      "c/f1c",
      ratios["c/f1c CPU (ours vs @hono/oidc-auth)"],
      L.knownVsOidcAuth,
      `(c) a known session, CPU/req vs @hono/oidc-auth (${fmt(cpu("c"))} vs ${fmt(cpu("f1c"))} µs)`,
    ),
    ratio(
      "c/f2c",
      ratios["c/f2c CPU (ours vs hono/jwk)"],
      L.knownVsJwk,
      `(c) a known session, CPU/req vs hono/jwk (${fmt(cpu("c"))} vs ${fmt(cpu("f2c"))} µs)`,
    ),
    ratio(
      "d/f2d",
      ratios["d/f2d CPU (ours vs hono/jwk)"],
      L.newVsJwk,
      `(d) a token never seen before, CPU/req vs hono/jwk (${fmt(cpu("d"))} vs ${fmt(cpu("f2d"))} µs)`,
    ),
    ratio(
      "verify",
      ratios["verify ours/raw, first-time token (hot loop)"],
      L.verifyVsRaw,
      `(d) our first-time verification vs raw crypto.subtle.verify, hot loop (${fmt(hot["ours-fresh"], 1)} vs ${fmt(hot["raw-fresh"], 1)} µs; one per request ${x(ratios["verify ours/raw, first-time token (1/request)"])})`,
    ),
    ratio(
      "b/b0",
      ratios["b/b0 CPU (our bare path vs 5-line worker)"],
      L.bareVsFloor,
      `(b) our bare proxy, CPU/req vs the 5-line worker (${fmt(cpu("b"))} vs ${fmt(cpu("b0"))} µs)`,
    ),
    first("first", firstRequest, 'first request after isolate start, KEY_ROTATION = "manual",'),
    ...(firstRequestAuto
      ? [
          first(
            "first-auto",
            firstRequestAuto,
            'first request after isolate start, KEY_ROTATION = "auto" (keys in the store),',
          ),
        ]
      : []),
    {
      name: "bundle",
      value: bundle.gzipBytes,
      limit: L.bundleGzipBytes,
      met: bundle.gzipBytes <= L.bundleGzipBytes,
      text: `bundle <= 60 KiB gzipped: ${fmt(bundle.gzipBytes / KiB, 1)} KiB as deployed (wrangler.toml minify = ${bundle.configuredMinify})`,
    },
  ];
}

/** Ratios and target verdicts from the summaries, micro-benchmark, bundle, first request, memory. */
export function analyse({
  summaries,
  micro,
  bundle,
  firstRequest,
  firstRequestAuto,
  memory,
  refreshLatency = [],
  signIn,
}) {
  const by = Object.fromEntries(summaries.map((s) => [s.id, s]));
  const cpu = (id) => by[id]?.cpuUsPerRequest;
  const rps = (id) => by[id]?.requestsPerSecond;
  const us = micro?.perRequest ?? {};
  const hot = micro?.hotLoop ?? {};
  // A refresh of a new session reads KV five times (token, family, revoked, successor, user;
  // src/session/family-model.ts rotateSession) and writes once (the successor's token record);
  // in Miniflare the KV simulator does that work inside the same workerd, so (e) includes it.
  // Measured alone and one at a time it costs more than it does under concurrency (the
  // simulator batches), so it is shown, not subtracted.
  const kvPerRefresh = 5 * hot["kv-get"] + 1 * hot["kv-put"];
  const ratios = {
    "c/b CPU": cpu("c") / cpu("b"),
    "c/b req/s": rps("c") / rps("b"),
    "d/b CPU": cpu("d") / cpu("b"),
    "d/b req/s": rps("d") / rps("b"),
    "e/b CPU": cpu("e") / cpu("b"),
    "e/b req/s": rps("e") / rps("b"),
    "e2/b CPU (refresh on the Durable Object store)": cpu("e2") / cpu("b"),
    "e2/b req/s": rps("e2") / rps("b"),
    "e2/e CPU (Durable Object vs KV refresh)": cpu("e2") / cpu("e"),
    "w/c CPU (workload bearer vs cookie session)": cpu("w") / cpu("c"),
    "w/c req/s": rps("w") / rps("c"),
    "b/b0 CPU (our bare path vs 5-line worker)": cpu("b") / cpu("b0"),
    "c/f1c CPU (ours vs @hono/oidc-auth)": cpu("c") / cpu("f1c"),
    "c/f1c req/s": rps("c") / rps("f1c"),
    "c/f2c CPU (ours vs hono/jwk)": cpu("c") / cpu("f2c"),
    "c/f2c req/s": rps("c") / rps("f2c"),
    "d/f1d CPU (ours vs @hono/oidc-auth)": cpu("d") / cpu("f1d"),
    "d/f1d req/s": rps("d") / rps("f1d"),
    "d/f2d CPU (ours vs hono/jwk)": cpu("d") / cpu("f2d"),
    "d/f2d req/s": rps("d") / rps("f2d"),
    "verify ours/raw, first-time token (1/request)": us["ours-fresh"] / us["raw-fresh"],
    "verify ours/raw, token seen before (1/request)": us["ours-seen"] / us["raw-seen"],
    "verify jose+our resolver/raw, first-time (1/req)": us["jose-jwks-fresh"] / us["raw-fresh"],
    "verify jose+CryptoKey/raw, first-time (1/req)": us["jose-key-fresh"] / us["raw-fresh"],
    "verify ours/raw, first-time token (hot loop)": hot["ours-fresh"] / hot["raw-fresh"],
  };
  const gateExtra = {
    c: cpu("c") - cpu("b"),
    d: cpu("d") - cpu("b"),
    e: cpu("e") - cpu("b"),
    e2: cpu("e2") - cpu("b"),
    w: cpu("w") - cpu("b"),
  };
  // What the micro-benchmark says these should cost: (c) a verification of a known token and
  // the assertion for a known user; (d) a full verification and a new signature (new user).
  const assertKnown = Number.isFinite(us["assert-cached"]) ? us["assert-cached"] : us["assert"];
  const explained = { c: us["ours-seen"] + assertKnown, d: us["ours-fresh"] + us["assert"] };
  const refreshTargets = refreshLatency.flatMap((r) => [
    verdict(
      r.roundTrips <= 1,
      `refresh on ${r.store}, first in an isolate: <= 1 storage round trip on the critical path: ${r.roundTrips} (${r.described}); ${fmt(r.wallMs, 1)} ms with the latency model`,
    ),
    verdict(
      r.next.roundTrips <= 1,
      `refresh on ${r.store}, the session's next one (same isolate): <= 1 storage round trip: ${r.next.roundTrips} (${r.next.described}); ${fmt(r.next.wallMs, 1)} ms with the latency model`,
    ),
  ]);
  const held = heldTargets({ ratios, cpu, hot, bundle, firstRequest, firstRequestAuto });
  const targets = [
    ...held.map((t) => verdict(t.met, t.text)),
    ...refreshTargets,
    ...(signIn ?? []).map((r) =>
      verdict(
        r.providerRoundTrips === 1,
        `sign-in callback on ${r.store}, discovery and JWKS cached: exactly 1 round trip to the provider: ${r.providerRoundTrips} (${r.described}); ${fmt(r.wallMs, 1)} ms with the latency model`,
      ),
    ),
    ...(memory ? [verdict(memory.flat, `memory flat under many distinct sessions: ${memory.summary}`)] : []),
  ];
  return { ratios, targets, held, gateExtraUs: gateExtra, explainedUs: explained, kvPerRefreshUs: kvPerRefresh };
}

export function ratioLines(ratios) {
  return Object.entries(ratios).map(([name, value]) => `  ${padEnd(name, 48)} ${pad(x(value), 7)}`);
}

export function microLines(micro) {
  const one = micro.perRequest;
  const hot = micro.hotLoop;
  const row = (id, text) => `  ${padEnd(id, 15)} ${pad(fmt(one[id], 1), 9)} ${pad(fmt(hot[id], 1), 9)}   ${text}`;
  return [
    `  CPU µs per operation: "1/request" = one per request, ${micro.inFlight} in flight, ${micro.singleRequests} requests x ${micro.rounds} rounds (as the gate does it);`,
    `  "hot loop" = ${micro.opsPerRequest} in a row in one request (${micro.kvOpsPerRequest} for KV), ${micro.requestsPerMode} requests x ${micro.rounds} rounds. Workerd CPU minus mode "noop".`,
    `  ${padEnd("mode", 15)} ${pad("1/request", 9)} ${pad("hot loop", 9)}`,
    row("ours-fresh", "verifiedAccessToken(), first-time token (what (d) pays)"),
    row("ours-seen", "verifiedAccessToken(), same token again (what (c) pays)"),
    row("raw-fresh", "crypto.subtle.verify ES256 + split/base64url, first-time token"),
    row("raw-seen", "crypto.subtle.verify ES256 + split/base64url, same token"),
    row(
      "jose-jwks-fresh",
      "jose jwtVerify against the worker's key resolver (SESSION_KEYS by kid), same checks, no cache",
    ),
    row("jose-key-fresh", "jose jwtVerify against the CryptoKey itself (no JWK Set), same checks"),
    row("assert", "signOriginAssertion(): ES256 signature of X-Auth-Assertion (a cache miss)"),
    row("assert-cached", "originAssertionFor(): what the gate calls, same user again"),
    row("headers", "upstreamHeaders(): header copy and filters (every proxied request)"),
    row("config", "loadConfig(env): per-request configuration lookup"),
    row("kv-get", "Miniflare's KV simulator: one get (on Cloudflare: a call to the KV service)"),
    row("kv-put", "Miniflare's KV simulator: one put of a new key"),
    `  ${padEnd("noop", 15)} ${pad(fmt(one.noop, 1), 9)} ${pad(fmt(hot.noop, 1), 9)}   per request: the micro-worker's own floor (request, JSON body, config), subtracted above`,
    ...Object.entries(micro.unavailable ?? {}).map(([id, why]) => `  ${id}: n/a (${why})`),
  ];
}

export const EXPLANATIONS = [
  "req/s       responses per second over the round (closed loop, fixed connections), median over rounds; (min-max) across rounds",
  "p50/p99 ms  latency seen by the load generator, per-response float times; with a closed loop it is mostly queueing (about connections / req/s)",
  "CPU µs/req  workerd process CPU (sum over its threads of /proc/<pid>/task/*/schedstat) during the round / responses; all of workerd: isolate, GC, sockets, KV simulator",
  "ticks       the same from /proc/<pid>/stat utime+stime (10 ms ticks): a cross-check of CPU µs/req",
  "gen+orig    CPU µs/req of the load generator (this Node process) and the origin process: what the other two programs on the 2 cores spend",
  "non2xx      non-2xx responses plus socket errors, all rounds; any is a failure (protected paths answer 418 at the origin without an identity header)",
];

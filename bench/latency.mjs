// One refresh on each session store, in wall-clock time with the storage latency model
// (bench/latency-model.mjs) and without it. The requests go one at a time (no queueing) to
// bench/latency-worker.ts, the real worker behind the model, configured once with
// SESSION_STORE=kv and once with SESSION_STORE=durable-object; each carries only a refresh cookie
// never used before (a person whose access token has expired), stores and modes interleaved.
// Two cases per store: the first refresh of a session in an isolate that has never seen it
// (its sessions are seeded straight into storage), and that session's next refresh in the same
// isolate, as if an access-token lifetime later (x-bench-later: every KV read a cache miss).
// With KV they differ: an isolate that knows the family (immutable, cached) reads in one round.
// The worker reports, in `x-bench-storage`, the storage round trips on the critical path and
// the modelled milliseconds of each; the wall clock is measured here, from sending the request
// to the end of the answer (local origin included, about a millisecond).
import { median } from "./report.mjs";
import { refreshCookieSet, rotationProblem } from "./scenarios.mjs";

async function refreshOnce(url, credential, delays, later = false) {
  const headers = {
    accept: "*/*",
    cookie: `__Host-refresh=${credential}`,
    ...(delays ? {} : { "x-bench-latency": "off" }),
    ...(later ? { "x-bench-later": "1" } : {}),
  };
  const started = performance.now();
  const response = await fetch(`${url}/app/x`, { headers, redirect: "manual" });
  await response.arrayBuffer();
  const wallMs = performance.now() - started;
  const setCookie = response.headers.getSetCookie();
  const problem = rotationProblem(`__Host-refresh=${credential}`, response.status, { "set-cookie": setCookie });
  const storage = JSON.parse(response.headers.get("x-bench-storage") ?? '{"roundTrips":[],"modelledMs":NaN}');
  return { wallMs, problem, storage, rotatedTo: refreshCookieSet(setCookie) };
}

/** "2 read round trips + 1 write (...)": a round trip is a write if any operation in it writes. */
export function describeRoundTrips(roundTrips) {
  const ops = roundTrips.flatMap((trip) => trip.ops);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (ops.length > 0 && ops.every((op) => op.startsWith("durable object"))) {
    return `${plural(roundTrips.length, "round trip")} (${roundTrips.map((trip) => trip.ops.join(" + ")).join(", then ")}: one call; the object's SQLite reads and its write run inside it)`;
  }
  const writes = (op) => /put|delete/.test(op);
  const readTrips = roundTrips.filter((trip) => !trip.ops.some(writes)).length;
  const reads = ops.filter((op) => op.startsWith("kv.get"));
  const misses = reads.filter((op) => op.includes("miss")).length;
  const readText = `${plural(reads.length, "KV read")}${reads.length ? (misses === reads.length ? ", all cache misses" : `, ${misses} cache misses`) : ""}`;
  return `${plural(readTrips, "read round trip")} + ${plural(roundTrips.length - readTrips, "write")} (${roundTrips.map((trip) => trip.ops.length).join(", then ")} operations in parallel: ${readText}, ${plural(ops.filter(writes).length, "KV write")})`;
}

/** Medians of one series of refreshes (with the model: `on`; without: `off`). */
function seriesOf(on, off) {
  const shapes = new Set(on.map((r) => JSON.stringify(r.storage.roundTrips.map((trip) => trip.ops))));
  const typical = on[Math.floor(on.length / 2)]?.storage.roundTrips ?? [];
  return {
    requests: on.length + off.length,
    roundTrips: typical.length,
    roundTripDetail: typical,
    described: describeRoundTrips(typical),
    shapesSeen: shapes.size,
    modelledMs: median(on.map((r) => r.storage.modelledMs)),
    wallMs: median(on.map((r) => r.wallMs)),
    wallMsMin: Math.min(...on.map((r) => r.wallMs)),
    wallMsMax: Math.max(...on.map((r) => r.wallMs)),
    localWallMs: median(off.map((r) => r.wallMs)),
  };
}

/**
 * `targets`: [{ store, url, credentials }], `repeats` measured refreshes per store, mode and case
 * (after 2 unmeasured ones each: a fresh isolate's first requests). Returns per store the
 * medians with and without the model, the round trips, and any rotation problems: `first` the
 * session's first refresh in this isolate, `next` its following one in the same isolate.
 */
export async function measureRefreshLatency({ targets, repeats }) {
  const cursors = new Map(targets.map((t) => [t.store, 0]));
  const next = (target) => {
    const i = cursors.get(target.store);
    if (i >= target.credentials.length)
      throw new Error(`latency: too few ${target.store} credentials (${target.credentials.length})`);
    cursors.set(target.store, i + 1);
    return target.credentials[i];
  };
  const samples = new Map(
    targets.map((t) => [t.store, { first: { on: [], off: [] }, next: { on: [], off: [] }, problems: [] }]),
  );
  for (let i = 0; i < repeats + 2; i++) {
    for (const target of targets) {
      for (const delays of [true, false]) {
        const s = samples.get(target.store);
        const first = await refreshOnce(target.url, next(target), delays);
        if (first.problem && s.problems.length < 5) s.problems.push(`first refresh: ${first.problem}`);
        if (!first.rotatedTo) continue;
        const following = await refreshOnce(target.url, first.rotatedTo, delays, true);
        if (following.problem && s.problems.length < 5) s.problems.push(`next refresh: ${following.problem}`);
        if (i < 2) continue;
        (delays ? s.first.on : s.first.off).push(first);
        (delays ? s.next.on : s.next.off).push(following);
      }
    }
  }
  return targets.map(({ store }) => {
    const s = samples.get(store);
    return { store, ...seriesOf(s.first.on, s.first.off), next: seriesOf(s.next.on, s.next.off), problems: s.problems };
  });
}

/** Modelled ms of these round trips had every KV read hit the location's cache (the best case). */
function allHitMs(roundTrips, model) {
  return roundTrips.reduce(
    (sum, trip) =>
      sum +
      Math.max(
        ...trip.ops.map((op) =>
          op.startsWith("kv.get") ? model.kvReadHitMs : op.startsWith("kv.") ? model.kvWriteMs : NaN,
        ),
      ),
    0,
  );
}

export function latencyLines(results, model, modelText) {
  const lines = [`  model: ${modelText}`];
  const describe = (label, r) => {
    lines.push(`  ${label}: ${r.described}; ${r.wallMs.toFixed(1)} ms with the latency model`);
    const best = allHitMs(r.roundTripDetail, model);
    lines.push(
      `      (median of ${r.requests / 2}, ${r.wallMsMin.toFixed(1)}-${r.wallMsMax.toFixed(1)} ms: ${r.modelledMs.toFixed(0)} ms modelled storage on the critical path${Number.isFinite(best) ? `, ${best.toFixed(0)} ms had every read hit the cache` : ""}; the same request ${r.localWallMs.toFixed(1)} ms locally without the model${r.shapesSeen > 1 ? `; ${r.shapesSeen} different storage patterns seen` : ""})`,
    );
  };
  for (const r of results) {
    describe(`refresh on ${r.store}, first in this isolate`, r);
    describe(`refresh on ${r.store}, the session's next one (same isolate)`, r.next);
  }
  return lines;
}

/** Storage and provider round trips of one request, in words. */
function describeSignIn(roundTrips) {
  const provider = roundTrips.filter((trip) => trip.ops.some((op) => op.startsWith("provider")));
  const storage = roundTrips.filter((trip) => !trip.ops.some((op) => op.startsWith("provider")));
  return {
    providerRoundTrips: provider.length,
    storageRoundTrips: storage.length,
    described: `${provider.length} to the provider (${provider.map((trip) => trip.ops.join(" + ")).join(", then ") || "none"}), ${storage.length} to storage (${storage.map((trip) => trip.ops.join(" + ")).join(", then ") || "none"})`,
  };
}

/**
 * One sign-in's callback per store, one at a time, discovery and JWKS already cached (two
 * sign-ins first, unmeasured): GET {AUTH_PREFIX}/login, then the callback with the code the
 * stub provider (bench/provider-stub.ts) accepts. Returns per store the round trips to the
 * provider and to storage, and the callback's wall time with and without the model.
 */
export async function measureSignIn({ targets, repeats }) {
  const results = [];
  for (const { store, url } of targets) {
    const on = [];
    const off = [];
    const problems = [];
    for (let i = 0; i < repeats + 2; i++) {
      for (const delays of [true, false]) {
        const modelHeaders = delays ? {} : { "x-bench-latency": "off" };
        const login = await fetch(`${url}/auth/login?return_to=/app/x`, {
          headers: { accept: "text/html", ...modelHeaders },
          redirect: "manual",
        });
        await login.arrayBuffer();
        const location = new URL(login.headers.get("location") ?? "http://invalid/");
        const state = location.searchParams.get("state");
        const nonce = location.searchParams.get("nonce");
        const cookie = login.headers
          .getSetCookie()
          .map((line) => line.split(";")[0])
          .join("; ");
        if (login.status !== 302 || !state || !nonce) {
          if (problems.length < 5) problems.push(`login answered ${login.status}`);
          continue;
        }
        const who = `signin-${store}-${i}-${delays ? "on" : "off"}-${Date.now()}`;
        const code = Buffer.from(JSON.stringify({ nonce, sub: who, email: `${who}@example.com` })).toString(
          "base64url",
        );
        const started = performance.now();
        const callback = await fetch(`${url}/auth/callback?code=${code}&state=${encodeURIComponent(state)}`, {
          headers: { accept: "text/html", cookie, ...modelHeaders },
          redirect: "manual",
        });
        await callback.arrayBuffer();
        const wallMs = performance.now() - started;
        const signedIn =
          callback.status === 302 && callback.headers.getSetCookie().some((line) => line.startsWith("__Host-refresh="));
        if (!signedIn) {
          if (problems.length < 5) problems.push(`callback answered ${callback.status} without a session`);
          continue;
        }
        const storage = JSON.parse(callback.headers.get("x-bench-storage") ?? '{"roundTrips":[],"modelledMs":NaN}');
        if (i >= 2) (delays ? on : off).push({ wallMs, storage });
      }
    }
    const typical = on[Math.floor(on.length / 2)]?.storage.roundTrips ?? [];
    results.push({
      store,
      requests: on.length + off.length,
      ...describeSignIn(typical),
      roundTripDetail: typical,
      wallMs: median(on.map((r) => r.wallMs)),
      modelledMs: median(on.map((r) => r.storage.modelledMs)),
      localWallMs: median(off.map((r) => r.wallMs)),
      problems,
    });
  }
  return results;
}

export function signInLines(results) {
  return results.map(
    (r) =>
      `  sign-in callback on ${r.store}: ${r.described}; ${r.wallMs.toFixed(1)} ms with the latency model (${r.modelledMs.toFixed(0)} ms modelled), ${r.localWallMs.toFixed(1)} ms locally without it (median of ${r.requests / 2})`,
  );
}

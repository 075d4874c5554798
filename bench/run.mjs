#!/usr/bin/env node
// `npm run bench` [--quick | --check] [--json FILE] [--rounds N] [--seconds S] [--connections C]
//
// Runs the built worker on workerd itself (Miniflare's API, direct sockets), in front of a real
// local origin, and measures side by side in one run, in interleaved rounds (the order rotates
// every round, medians reported), so that a noisy machine hits every scenario alike:
//   a   the origin directly             b0  a 5-line fetch() worker (the floor)
//   b   our worker as a bare proxy      c   our gate, the same valid session every request
//   d   our gate, a new token each      e   only a refresh cookie: rotation with KV
//   e2  the same on the Durable Object store (SESSION_STORE=durable-object, SQLite-backed)
//   w   our gate, a workload (CI job) with its own OIDC token as a bearer (TRUSTED_WORKLOADS)
//   f1  @hono/oidc-auth                 f2  a hand-written hono/jwk gate (each: c- and d-style)
// plus a micro-benchmark of our verification against raw crypto.subtle.verify inside workerd,
// the bundle size, the first request after isolate start, memory under many sessions, and one
// refresh on each store in wall-clock time with a storage latency model (bench/latency.mjs).
// CPU per request is workerd's own accounting (bench/workerd-process.mjs).
// Exits 1 when something did not work (non-2xx answers, errors). A missed target is a finding,
// printed, except with `--check`: the quick plan, only what the request path's targets need
// (no latency model, store operations or memory), and exit 3 when one of them is missed
// (report.mjs, HELD_LIMITS). CONTRIBUTING.md asks for it on every change to the request path.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startWorkloadIssuer } from "../demo/workload-issuer.mjs";
import { generateKeySet } from "../scripts/keys.mjs";
import { buildAll } from "./build.mjs";
import { measureFirstRequest, measureMemory } from "./isolate.mjs";
import { latencyLines, measureRefreshLatency, measureSignIn, signInLines } from "./latency.mjs";
import { measureStoreOps, storeOpsLines } from "./store-ops.mjs";
import { capacityLines } from "../scripts/capacity.mjs";
import { describeModel, LATENCY_MODEL } from "./latency-model.mjs";
import { runLoad } from "./load.mjs";
import { closeMicro, microPoolSize, runMicro } from "./micro.mjs";
import { analyse, EXPLANATIONS, microLines, ratioLines, scenarioTable, summarize } from "./report.mjs";
import { defineScenarios } from "./scenarios.mjs";
import { freePort, startOrigin, startWorkerd, workerBindings } from "./stack.mjs";
import {
  mintAccessToken,
  mintAccessTokens,
  mintOidcAuthSessions,
  publicJwks,
  seedDurableObjectSessions,
  seedRefreshTokens,
  signerFor,
} from "./tokens.mjs";
import { cpuNs, cpuSample, memoryKiB } from "./workerd-process.mjs";

function parseArgs(argv) {
  const args = { quick: false, check: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") args.quick = true;
    else if (arg === "--check") args.quick = args.check = true;
    else if (arg === "--json") args.json = argv[++i];
    else if (arg === "--rounds") args.rounds = Number(argv[++i]);
    else if (arg === "--seconds") args.seconds = Number(argv[++i]);
    else if (arg === "--connections") args.connections = Number(argv[++i]);
    else {
      console.error(
        `unknown argument ${arg}\nusage: npm run bench -- [--quick | --check] [--json FILE] [--rounds N] [--seconds S] [--connections C]`,
      );
      process.exit(2);
    }
  }
  const base = args.quick
    ? {
        rounds: 2,
        seconds: 1,
        connections: 8,
        warmup: 300,
        micro: { rounds: 2, requestsPerMode: 6, opsPerRequest: 50, singleRequests: 300 },
        firstRepeats: 3,
        memory: { control: 2000, distinct: 12000 },
        latencyRepeats: 10,
      }
    : {
        rounds: 5,
        seconds: 2.5,
        connections: 8,
        warmup: 1000,
        micro: { rounds: 5, requestsPerMode: 10, opsPerRequest: 100, singleRequests: 1000 },
        firstRepeats: 5,
        memory: { control: 10000, distinct: 20000 },
        latencyRepeats: 30,
      };
  return {
    ...base,
    ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined && !Number.isNaN(v))),
  };
}

const opts = parseArgs(process.argv.slice(2));
// (e2)'s sessions, 4 to a person: every person is an object with its own SQLite files (3 open
// files each), and a full run's pool of one person per session (several thousand) ran workerd
// out of file descriptors (SQLITE_NOMEM). Each session is still refreshed once.
const DO_SESSIONS_PER_PERSON = 4;
const startedAt = Date.now();
const failures = [];
const say = (text) => process.stderr.write(`[bench +${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${text}\n`);

const otherCpuNs = (originPid) => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000 + cpuNs(originPid);
};

async function main() {
  say(
    `mode ${opts.quick ? "quick" : "full"}: ${opts.rounds} rounds x ${opts.seconds}s per scenario, ${opts.connections} connections`,
  );
  say("building the worker (wrangler --dry-run), the peers and the micro-worker (esbuild)");
  const build = await buildAll();

  const keySet = await generateKeySet("ES256");
  const signer = await signerFor(keySet);
  const origin = await startOrigin();
  const ports = {
    worker: await freePort(),
    workerDo: await freePort(),
    workerWl: await freePort(),
    oidc: await freePort(),
    jwk: await freePort(),
    passthrough: await freePort(),
    micro: await freePort(),
    latencyKv: await freePort(),
    latencyDo: await freePort(),
  };
  const publicUrl = `http://127.0.0.1:${ports.worker}`;
  const oidcSecret = randomBytes(24).toString("hex");
  const urlOf = (port) => `http://127.0.0.1:${port}`;
  const bindings = workerBindings({ originUrl: origin.url, publicUrl, keySet });
  // (w): a stand-in for GitHub Actions' token service (the worker fetches its keys once), and a
  // worker that trusts its jobs of bench-org/app on /app/*.
  const github = await startWorkloadIssuer({ job: { repository: "bench-org/app" } });
  const workloadAudience = urlOf(ports.workerWl);
  const workloadBindings = {
    ...workerBindings({ originUrl: origin.url, publicUrl: workloadAudience, keySet }),
    TRUSTED_WORKLOADS: JSON.stringify({
      "bench-ci": {
        issuer: github.issuer,
        audience: workloadAudience,
        claims: { repository: "bench-org/app", ref: "refs/heads/main" },
      },
    }),
    ACCESS_POLICY: JSON.stringify([{ path: "/app/*", allow: { workloads: ["bench-ci"], domains: ["*"] } }]),
  };

  // Our worker (and the micro-worker, which imports its modules) run with wrangler.toml's
  // compatibility date and flags; the peers with the same date and no flags.
  const compat = { compatibilityDate: build.compatibilityDate, compatibilityFlags: build.compatibilityFlags };
  // (e2): the same build, SESSION_STORE=durable-object, its own SQLite-backed SessionFamilies.
  // The latency workers (bench/latency-worker.ts: the worker behind the storage latency model)
  // have their own KV namespace; their SESSION_FAMILIES binding names edge-auth-do's class, so
  // the Durable Object code is the deployed build's, and latency-do's seed route makes (e2)'s
  // sessions too.
  const sessionFamilies = (scriptName) => ({
    SESSION_FAMILIES: { className: "SessionFamilies", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
  });
  // Their OpenID provider is bench/provider-stub.ts, inside the latency worker, at an address no network knows.
  const latencyBindings = (port, store) => ({
    ...workerBindings({ originUrl: origin.url, publicUrl: urlOf(port), keySet }),
    OIDC_ISSUER: "https://provider.bench.test",
    SESSION_STORE: store,
    LATENCY_MODEL: JSON.stringify(LATENCY_MODEL),
  });
  say(
    "starting workerd (Miniflare) with our worker (KV and Durable Object stores), the two peers, the floor, the micro-worker and the latency-model workers",
  );
  const stack = await startWorkerd([
    { name: "edge-auth", scriptPath: build.worker, kv: true, bindings, port: ports.worker, ...compat },
    {
      name: "edge-auth-do",
      scriptPath: build.worker,
      durableObjects: sessionFamilies(),
      bindings: {
        ...workerBindings({ originUrl: origin.url, publicUrl: urlOf(ports.workerDo), keySet }),
        SESSION_STORE: "durable-object",
      },
      port: ports.workerDo,
      ...compat,
    },
    {
      name: "edge-auth-wl",
      scriptPath: build.worker,
      kv: true,
      bindings: workloadBindings,
      port: ports.workerWl,
      ...compat,
    },
    {
      name: "peer-oidc-auth",
      scriptPath: build.peers.oidc,
      bindings: {
        ORIGIN_URL: origin.url,
        OIDC_AUTH_SECRET: oidcSecret,
        OIDC_ISSUER: "https://accounts.google.com",
        OIDC_CLIENT_ID: "1234-bench.apps.googleusercontent.com",
        OIDC_CLIENT_SECRET: "bench-client-secret",
      },
      port: ports.oidc,
    },
    {
      name: "peer-hono-jwk",
      scriptPath: build.peers.jwk,
      bindings: {
        ORIGIN_URL: origin.url,
        JWKS: JSON.stringify(publicJwks(keySet)),
        ISSUER: publicUrl,
        AUDIENCE: `${publicUrl}/auth`,
      },
      port: ports.jwk,
    },
    {
      name: "floor-passthrough",
      scriptPath: build.peers.passthrough,
      bindings: { ORIGIN_URL: origin.url },
      port: ports.passthrough,
    },
    {
      name: "micro",
      scriptPath: build.micro,
      kv: true,
      bindings: { ...bindings, BENCH_ISSUER: publicUrl },
      port: ports.micro,
      ...compat,
    },
    {
      name: "latency-kv",
      scriptPath: build.latency,
      kv: true,
      bindings: latencyBindings(ports.latencyKv, "kv"),
      port: ports.latencyKv,
      ...compat,
    },
    {
      name: "latency-do",
      scriptPath: build.latency,
      durableObjects: sessionFamilies("edge-auth-do"),
      bindings: latencyBindings(ports.latencyDo, "durable-object"),
      port: ports.latencyDo,
      ...compat,
    },
  ]);
  const pid = stack.pid;
  const kv = await stack.mf.getKVNamespace("SESSIONS", "edge-auth");
  say(`workerd pid ${pid}, RSS ${(memoryKiB(pid).rssKiB / 1024).toFixed(0)} MiB`);

  try {
    // Credentials: one of each for the "same session" scenarios, small pools for the warm-up.
    const ctx = {
      urls: {
        origin: origin.url,
        worker: stack.urls["edge-auth"],
        workerDo: stack.urls["edge-auth-do"],
        workerWl: stack.urls["edge-auth-wl"],
        oidc: stack.urls["peer-oidc-auth"],
        jwk: stack.urls["peer-hono-jwk"],
        passthrough: stack.urls["floor-passthrough"],
      },
      accessToken: await mintAccessToken(signer, publicUrl, {
        sub: "bench-user",
        email: "bench@example.com",
        sid: randomBytes(16).toString("base64url"),
      }),
      accessPool: await mintAccessTokens(signer, publicUrl, opts.warmup + 100),
      // An hour, like a Google service account's token: it must outlive the whole run.
      workloadToken: await github.sign({ aud: workloadAudience }, { lifetimeSeconds: 3600 }),
      oidcSession: (await mintOidcAuthSessions(oidcSecret, 1))[0],
      oidcPool: await mintOidcAuthSessions(oidcSecret, opts.warmup + 100),
      refreshPool: await seedRefreshTokens(kv, opts.warmup + 100),
      refreshDoPool: await seedDurableObjectSessions(stack.urls["latency-do"], opts.warmup + 100, {
        perPerson: DO_SESSIONS_PER_PERSON,
      }),
    };
    const scenarios = defineScenarios(ctx);

    // Sanity: one request per scenario must come back 200 from the origin.
    for (const s of scenarios) {
      const sent = s.cookies();
      const response = await fetch(`${s.url}${s.path}`, {
        headers: { [s.header ?? "cookie"]: sent },
        redirect: "manual",
      });
      const body = await response.text();
      if (response.status !== 200)
        throw new Error(`sanity check: (${s.id}) ${s.label} answered ${response.status}: ${body.slice(0, 200)}`);
      const problem = s.check?.fn(sent, response.status, { "set-cookie": response.headers.getSetCookie() });
      if (problem) throw new Error(`sanity check: (${s.id}) ${s.label} did not rotate the refresh cookie: ${problem}`);
    }

    say(`warm-up: ${opts.warmup} requests per scenario`);
    const estimate = {};
    // Refresh scenarios: a sample of answers (every 10th) must carry a new refresh cookie.
    const rotationChecks = new Map(scenarios.filter((s) => s.check).map((s) => [s.id, { checked: 0, problems: [] }]));
    const recordChecks = (s, result, when) => {
      const tally = rotationChecks.get(s.id);
      if (!tally) return;
      tally.checked += result.checked;
      for (const problem of result.problems) if (tally.problems.length < 5) tally.problems.push(`${when}: ${problem}`);
    };
    for (const s of scenarios) {
      const result = await runLoad({
        url: s.url,
        path: s.path,
        nextCookie: s.cookies,
        header: s.header,
        connections: opts.connections,
        amount: opts.warmup,
        check: s.check,
      });
      if (result.non2xx || result.errors)
        failures.push(
          `warm-up (${s.id}): ${result.non2xx} non-2xx, ${result.errors} errors ${JSON.stringify(result.statuses)}`,
        );
      recordChecks(s, result, "warm-up");
      estimate[s.id] = result.requestsPerSecond;
    }

    const microNeed = microPoolSize(opts.micro);
    // Pools of single-use credentials, sized from the warm-up throughput with a wide margin,
    // all made before the first round (seeding KV makes workerd busy: never between rounds).
    // Should a pool still run short, it is topped up before that scenario's next round (Node
    // only for JWTs; for refresh tokens KV again, followed by a pause), and a credential is
    // never handed out twice.
    const fastest = Math.max(...scenarios.filter((s) => s.worker).map((s) => estimate[s.id]));
    const perRound = (rps) => Math.ceil(rps * opts.seconds * 1.5) + 200;
    const poolNeeds = {
      access: Math.max(perRound(Math.max(estimate.d, estimate.f2d)) * opts.rounds, microNeed),
      oidc: perRound(estimate.f1d) * opts.rounds,
      refresh: perRound(estimate.e) * opts.rounds,
      refreshDo: perRound(estimate.e2) * opts.rounds,
    };
    const pools = { access: "accessPool", oidc: "oidcPool", refresh: "refreshPool", refreshDo: "refreshDoPool" };
    const topUp = async (pool, count) => {
      if (count <= 0) return;
      if (pool === "access") ctx.accessPool.push(...(await mintAccessTokens(signer, publicUrl, count)));
      if (pool === "oidc") ctx.oidcPool.push(...(await mintOidcAuthSessions(oidcSecret, count)));
      if (pool === "refresh") {
        ctx.refreshPool.push(...(await seedRefreshTokens(kv, count, { concurrency: 128 })));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (pool === "refreshDo") {
        ctx.refreshDoPool.push(
          ...(await seedDurableObjectSessions(stack.urls["latency-do"], count, { perPerson: DO_SESSIONS_PER_PERSON })),
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    say(
      `credential pools: ${poolNeeds.access} access JWTs, ${poolNeeds.oidc} oidc-auth sessions, ${poolNeeds.refresh} refresh tokens seeded into KV, ${poolNeeds.refreshDo} Durable Object sessions (fastest warm-up ${fastest.toFixed(0)} req/s)`,
    );
    const seedStarted = Date.now();
    for (const [pool, target] of Object.entries(poolNeeds)) {
      const used = Math.max(...scenarios.filter((s) => s.pool === pool).map((s) => s.cookies.used()));
      await topUp(pool, used + target - ctx[pools[pool]].length);
    }
    say(`pools ready in ${((Date.now() - seedStarted) / 1000).toFixed(1)}s`);
    const maxRps = { ...estimate };
    const ensurePool = async (s) => {
      if (!s.pool) return;
      const remaining = ctx[pools[s.pool]].length - s.cookies.used();
      const expected = perRound(maxRps[s.id]);
      if (remaining < expected) {
        say(`topping up the ${s.pool} pool for (${s.id}) by ${expected * 2 - remaining}`);
        await topUp(s.pool, expected * 2 - remaining);
      }
    };

    const rounds = new Map(scenarios.map((s) => [s.id, []]));
    for (let round = 0; round < opts.rounds; round++) {
      say(`round ${round + 1}/${opts.rounds}`);
      const order = scenarios.map((_, i) => scenarios[(i + round * 3) % scenarios.length]);
      for (const s of order) {
        await ensurePool(s);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const before = cpuSample(pid);
        const otherBefore = otherCpuNs(origin.pid);
        const result = await runLoad({
          url: s.url,
          path: s.path,
          nextCookie: s.cookies,
          header: s.header,
          connections: opts.connections,
          durationSeconds: opts.seconds,
          check: s.check,
        });
        const after = cpuSample(pid);
        recordChecks(s, result, `round ${round + 1}`);
        const otherAfter = otherCpuNs(origin.pid);
        if (result.non2xx || result.errors)
          failures.push(
            `round ${round + 1} (${s.id}) ${s.label}: ${result.non2xx} non-2xx, ${result.errors} errors ${JSON.stringify(result.statuses)}`,
          );
        rounds.get(s.id).push({
          ...result,
          cpuNs: after.schedNs - before.schedNs,
          ticksNs: after.ticksNs - before.ticksNs,
          otherCpuNs: otherAfter - otherBefore,
        });
        maxRps[s.id] = Math.max(maxRps[s.id], result.requestsPerSecond);
      }
    }
    for (const s of scenarios)
      if (s.cookies.reused > 0)
        failures.push(
          `(${s.id}): credential pool ran out, ${s.cookies.reused} credentials were used twice (sizing bug)`,
        );
    for (const [id, tally] of rotationChecks) {
      if (tally.checked === 0) failures.push(`(${id}): no answer was checked for a rotated refresh cookie`);
      for (const problem of tally.problems) failures.push(`(${id}) rotation check, ${problem}`);
    }
    const summaries = scenarios.map((s) => summarize(s, rounds.get(s.id)));

    say("micro-benchmark inside workerd");
    const micro = await runMicro({
      url: stack.urls.micro,
      pid,
      seenToken: ctx.accessToken,
      freshPool: ctx.accessPool,
      ...opts.micro,
    });
    closeMicro();
    failures.push(...micro.failures.slice(0, 5));

    // --check holds the request path's targets: the refresh, sign-in, store and memory figures are not among them.
    const extras = !opts.check;
    if (extras)
      say(
        `one refresh per store with the storage latency model: ${opts.latencyRepeats} x 2 modes x 2 stores, one at a time`,
      );
    // Each credential's successor is refreshed too: no extra credentials needed for that.
    const latencyNeed = (opts.latencyRepeats + 2) * 2;
    const refreshLatency = !extras
      ? []
      : await measureRefreshLatency({
          repeats: opts.latencyRepeats,
          targets: [
            {
              store: "kv",
              url: stack.urls["latency-kv"],
              credentials: await seedRefreshTokens(
                await stack.mf.getKVNamespace("SESSIONS", "latency-kv"),
                latencyNeed,
              ),
            },
            {
              store: "durable-object",
              url: stack.urls["latency-do"],
              credentials: await seedDurableObjectSessions(stack.urls["latency-do"], latencyNeed),
            },
          ],
        });
    for (const r of refreshLatency)
      for (const problem of r.problems) failures.push(`latency model, refresh on ${r.store}: ${problem}`);
    if (extras)
      say(
        `one sign-in callback per store with the latency model: ${opts.latencyRepeats} x 2 modes x 2 stores, discovery and JWKS cached`,
      );
    const signIn = !extras
      ? []
      : await measureSignIn({
          repeats: opts.latencyRepeats,
          targets: [
            { store: "kv", url: stack.urls["latency-kv"] },
            { store: "durable-object", url: stack.urls["latency-do"] },
          ],
        });
    for (const r of signIn)
      for (const problem of r.problems) failures.push(`latency model, sign-in on ${r.store}: ${problem}`);
    if (extras) say("store operations per flow, each store, to bench/store-ops.json");
    const opsTargets = [
      { store: "kv", url: stack.urls["latency-kv"] },
      { store: "durable-object", url: stack.urls["latency-do"] },
    ];
    const storeOps = !extras
      ? undefined
      : await measureStoreOps(opsTargets).catch((error) => {
          failures.push(`store operations: ${error.message}`);
          return undefined;
        });
    const originCounts = await origin.counts();
    const workloadIssuerHits = Object.fromEntries(github.hits);
    await github.close();
    const rssAfterRounds = memoryKiB(pid);
    await stack.mf.dispose();

    say(`first request after isolate start: ${opts.firstRepeats} fresh workerd processes`);
    const bindingsFor = (url) => workerBindings({ originUrl: origin.url, publicUrl: url, keySet });
    const tokenFor = (url) =>
      mintAccessToken(signer, url, {
        sub: "first-user",
        email: "first@example.com",
        sid: randomBytes(16).toString("base64url"),
      });
    const firstRequest = await measureFirstRequest({ build, bindingsFor, tokenFor, repeats: opts.firstRepeats });
    failures.push(...firstRequest.failures.slice(0, 5));
    say(`the same with KEY_ROTATION = "auto", the keys in the store: ${opts.firstRepeats} fresh workerd processes`);
    // The access token is signed with SESSION_KEYS, which verify in either mode; the assertion is signed with the stored key.
    const keysDir = mkdtempSync(join(tmpdir(), "bench-keys-"));
    const wrappingSecret = randomBytes(32).toString("base64url");
    const firstRequestAuto = await measureFirstRequest({
      build,
      bindingsFor: (url) => ({ ...bindingsFor(url), KEY_ROTATION: "auto", KEY_WRAPPING_SECRET: wrappingSecret }),
      tokenFor,
      repeats: opts.firstRepeats,
      kvPersist: keysDir,
    }).finally(() => rmSync(keysDir, { recursive: true, force: true }));
    failures.push(...firstRequestAuto.failures.slice(0, 5));

    if (extras)
      say(
        `memory: ${opts.memory.control} requests with one session, then 2 x ${opts.memory.distinct} distinct sessions`,
      );
    const memoryResult = !extras
      ? undefined
      : await measureMemory({
          build,
          bindingsFor,
          tokenFor,
          poolFor: (url, count) => mintAccessTokens(signer, url, count),
          connections: opts.connections,
          ...opts.memory,
        });
    failures.push(...(memoryResult?.failures ?? []));
    await origin.stop();

    // "Flat": the second run of distinct sessions leaves the live JS heap within 2 MiB (or 10%)
    // of where the first run left it: what the isolate keeps stops growing with more sessions.
    const mib = (bytes) => (bytes / 1048576).toFixed(1);
    const afterFirst = memoryResult?.steps[2]?.heapUsedBytes ?? NaN;
    const memory = memoryResult && {
      ...memoryResult,
      flat: memoryResult.heap.secondDistinct <= Math.max(2 * 1048576, 0.1 * afterFirst),
      summary: `live JS heap after ${memoryResult.steps.map((step) => `${mib(step.heapUsedBytes)}`).join(" -> ")} MiB (warm-up, control, +${opts.memory.distinct} sessions, +${opts.memory.distinct} more); second run ${memoryResult.heap.secondDistinct >= 0 ? "+" : ""}${mib(memoryResult.heap.secondDistinct)} MiB`,
    };

    const figures = { summaries, micro, bundle: build.bundle, firstRequest, firstRequestAuto, memory };
    const analysis = analyse({ ...figures, refreshLatency, signIn });
    const measured = { ...figures, analysis, originCounts, rssAfterRounds };
    print({ ...measured, refreshLatency, signIn, rotationChecks, workloadIssuerHits, storeOps });
    missedTarget = opts.check && analysis.held.some((t) => !t.met);

    if (opts.json) {
      writeFileSync(
        opts.json,
        JSON.stringify(
          {
            when: new Date().toISOString(),
            options: opts,
            machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
            scenarios: summaries,
            rounds: Object.fromEntries(
              [...rounds].map(([id, list]) => [id, list.map(({ statuses, ...rest }) => ({ ...rest, statuses }))]),
            ),
            ratios: analysis.ratios,
            targets: analysis.targets,
            gate: {
              extraCpuUsPerRequest: analysis.gateExtraUs,
              verifyPlusAssertionUs: analysis.explainedUs,
              kvSimulatorUsPerRefresh: analysis.kvPerRefreshUs,
            },
            micro,
            refreshLatency: { model: LATENCY_MODEL, stores: refreshLatency },
            signIn,
            storeOps,
            rotationChecks: Object.fromEntries(rotationChecks),
            bundle: build.bundle,
            firstRequest,
            firstRequestAuto,
            memory,
            originCounts,
            workloadIssuerHits,
            failures,
            durationSeconds: (Date.now() - startedAt) / 1000,
          },
          null,
          2,
        ),
      );
      say(`wrote ${opts.json}`);
    }
  } catch (error) {
    await stack.mf.dispose().catch(() => {});
    await origin.stop().catch(() => {});
    await github.close().catch(() => {});
    throw error;
  }
}

function print(measured) {
  const { summaries, micro, bundle, firstRequest, memory, analysis, originCounts, refreshLatency, signIn } = measured;
  const { rotationChecks, workloadIssuerHits, storeOps } = measured;
  const out = [];
  out.push("");
  out.push(
    `edge-auth-worker benchmark (${opts.quick ? "quick" : "full"}): workerd via Miniflare direct sockets, ${opts.rounds} interleaved rounds x ${opts.seconds}s, ${opts.connections} connections, medians`,
  );
  out.push("");
  out.push(...scenarioTable(summaries));
  out.push("");
  out.push(...EXPLANATIONS.map((line) => `  ${line}`));
  out.push("");
  out.push(
    "Ratios (for CPU, below 1.00x means the first one spends less; for req/s, above 1.00x means it serves more):",
  );
  out.push(...ratioLines(analysis.ratios));
  out.push(
    `  the gate's own CPU over the bare proxy: (c)-(b) ${analysis.gateExtraUs.c.toFixed(0)} µs/req, (d)-(b) ${analysis.gateExtraUs.d.toFixed(0)} µs/req, (e)-(b) ${analysis.gateExtraUs.e.toFixed(0)} µs/req, (e2)-(b) ${analysis.gateExtraUs.e2.toFixed(0)} µs/req, (w)-(b) ${analysis.gateExtraUs.w.toFixed(0)} µs/req`,
  );
  out.push(
    `  micro-benchmark (one per request): (c) verify known token + assertion for known user ${analysis.explainedUs.c.toFixed(0)} µs; (d) full verify + new assertion signature ${analysis.explainedUs.d.toFixed(0)} µs`,
  );
  out.push(
    `  (e) includes Miniflare's local KV simulator, which runs inside the same workerd: 5 gets + 1 put per refresh cost ${analysis.kvPerRefreshUs.toFixed(0)} µs`,
  );
  out.push(
    `      when measured one at a time (micro); on Cloudflare KV is a separate service: its CPU is not the isolate's, its latency is.`,
  );
  out.push(
    `  (e2) includes the Durable Object too (its SQLite, one object per person, in the same workerd); on Cloudflare it runs apart.`,
  );
  out.push(
    `  (w) the workload issuer was asked ${workloadIssuerHits["/.well-known/openid-configuration"] ?? 0}x for discovery and ${workloadIssuerHits["/.well-known/jwks"] ?? 0}x for keys in the whole run: the token is verified once, then found in the per-isolate cache.`,
  );
  out.push(
    `  rotation check: ${[...rotationChecks].map(([id, t]) => `(${id}) ${t.checked} sampled answers${t.problems.length ? `, ${t.problems.length}+ without a new refresh cookie` : ""}`).join(", ")}; ${[...rotationChecks.values()].every((t) => t.checked > 0 && t.problems.length === 0) ? "each carried a new __Host-refresh cookie" : "SEE FAILURES"}`,
  );
  out.push("");
  out.push(
    "One refresh (expired access token + refresh cookie), wall clock with the storage latency model, requests one at a time:",
  );
  out.push(...latencyLines(refreshLatency, LATENCY_MODEL, describeModel()));
  out.push("");
  out.push(
    "One sign-in (the callback, after GET /auth/login; discovery and JWKS cached), wall clock with the same model:",
  );
  out.push(...signInLines(signIn));
  out.push("");
  if (storeOps) {
    out.push("Session-store operations per flow (bench/store-ops.json; capacity: npm run check, docs/capacity.md):");
    out.push(...storeOpsLines(storeOps));
    out.push(...capacityLines().map((line) => `  ${line}`));
    out.push("");
  }
  out.push("Micro-benchmark inside workerd, CPU per operation:");
  out.push(...microLines(micro));
  out.push("");
  out.push("Bundle (wrangler deploy --dry-run), real worker, index.js (gzip: zlib default level):");
  out.push(
    `  as deployed (wrangler.toml minify = ${bundle.configuredMinify}): ${bundle.rawBytes} bytes raw, ${bundle.gzipBytes} gzipped (${(bundle.gzipBytes / 1024).toFixed(1)} KiB)`,
  );
  out.push(
    `  --minify:    ${bundle.minifiedRawBytes} bytes raw, ${bundle.minifiedGzipBytes} gzipped (${(bundle.minifiedGzipBytes / 1024).toFixed(1)} KiB)`,
  );
  out.push(
    `  --no-minify: ${bundle.unminifiedRawBytes} bytes raw, ${bundle.unminifiedGzipBytes} gzipped (${(bundle.unminifiedGzipBytes / 1024).toFixed(1)} KiB)`,
  );
  out.push("");
  out.push(
    "First request after isolate start (fresh workerd each, gated request with a valid session, new connection per request):",
  );
  for (const [mode, result] of [
    ['KEY_ROTATION = "manual" (SESSION_KEYS)', firstRequest],
    ['KEY_ROTATION = "auto", the keys read from the store', measured.firstRequestAuto],
  ]) {
    out.push(`  ${mode}:`);
    for (const [i, r] of result.runs.entries()) {
      out.push(
        `    run ${i + 1}: first ${r.firstMs.toFixed(1)} ms, next 50 median ${r.restMedianMs.toFixed(2)} ms, extra ${r.extraMs.toFixed(1)} ms; workerd CPU first ${r.firstCpuMs.toFixed(1)} ms vs ${r.restCpuMedianMs.toFixed(2)} ms`,
      );
    }
    out.push(`    median extra: ${result.extraMs.toFixed(1)} ms wall, ${result.extraCpuMs.toFixed(1)} ms workerd CPU`);
  }
  out.push("");
  if (memory) out.push(...memoryLines(memory));
  out.push("Targets (printed; --check fails on a missed one of the first eight, the request path's):");
  out.push(...analysis.targets.map((t) => `  ${t}`));
  out.push("");
  out.push(
    `Origin saw ${originCounts.total} requests, ${originCounts.withIdentity} with an identity header, refused ${originCounts.refused} (418) for missing identity.`,
  );
  if (failures.length > 0) {
    out.push("");
    out.push("FAILURES:");
    out.push(...failures.map((f) => `  ${f}`));
  }
  if (opts.check) out.push("", ...checkLines(analysis.held));
  out.push(`Finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`);
  console.log(out.join("\n"));
}

/** The request path's held targets, one line each, for --check. */
function checkLines(held) {
  const missed = held.filter((t) => !t.met);
  return [
    `bench --check: ${missed.length === 0 ? "every target met" : `${missed.length} of ${held.length} targets missed`}`,
    ...held.map((t) => `  ${t.met ? "ok    " : "MISSED"} ${t.name.padEnd(10)} ${t.text}`),
  ];
}

function memoryLines(memory) {
  const out = [];
  const mib = (bytes) => (bytes / 1048576).toFixed(1);
  out.push("Memory (fresh workerd, our worker alone; live JS heap of the worker after a full GC, and workerd VmRSS):");
  for (const step of memory.steps)
    out.push(
      `  after ${step.phase.padEnd(40)} heap ${mib(step.heapUsedBytes).padStart(6)} MiB   RSS ${(step.rssKiB / 1024).toFixed(1).padStart(6)} MiB (peak ${(step.hwmKiB / 1024).toFixed(1)})`,
    );
  out.push(
    `  heap growth: control ${mib(memory.heap.control)} MiB, first ${memory.distinct} sessions ${mib(memory.heap.firstDistinct)} MiB (${(memory.heap.firstDistinct / memory.distinct).toFixed(0)} bytes/session), next ${memory.distinct} ${mib(memory.heap.secondDistinct)} MiB`,
  );
  out.push(
    `  RSS growth:  control ${(memory.rssKiB.control / 1024).toFixed(1)} MiB, first ${(memory.rssKiB.firstDistinct / 1024).toFixed(1)} MiB, next ${(memory.rssKiB.secondDistinct / 1024).toFixed(1)} MiB (RSS grows under any load here, even for the 5-line worker: judge by the heap)`,
  );
  out.push("");
  return out;
}

let missedTarget = false;
main().then(
  () => process.exit(failures.length > 0 ? 1 : missedTarget ? 3 : 0),
  (error) => {
    console.error(`\nbench FAILED: ${error.stack || error.message}`);
    process.exit(1);
  },
);

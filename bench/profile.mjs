#!/usr/bin/env node
// `node bench/profile.mjs [--seconds S] [--top N]`: where our worker's CPU goes, per scenario.
// `node bench/profile.mjs --first [--top N]`: the same for the first request of fresh isolates.
//
// Not part of `npm run bench` (which measures; this explains). It runs the unminified build
// (same code, readable names) on a fresh workerd with the inspector open, drives scenarios
// (b0) the floor, (b) bare proxy, (c) same session and (d) a new token per request with the same load as the
// benchmark, and records V8's sampling CPU profile of our isolate (Profiler domain) during
// each; and the same for the floor (b0), the 5-line fetch() worker, for comparison. Self time is summed per function and source line. V8 sees only JavaScript and the
// builtins/runtime calls it makes: workerd's own C++ (HTTP parsing, sockets, the fetch to
// the origin, BoringSSL behind crypto.subtle) shows up as "(program)" or inside the caller's
// native frames, so the percentages are of the isolate's JS-visible time, not of all of
// workerd. The sampler slows the worker a little; compare shares, not absolute numbers.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { generateKeySet } from "../scripts/keys.mjs";
import { BUILD, buildAll } from "./build.mjs";
import { connectInspector } from "./inspector.mjs";
import { runLoad } from "./load.mjs";
import { distinctCookies, sameCookie } from "./scenarios.mjs";
import { freePort, startOrigin, startWorkerd, workerBindings } from "./stack.mjs";
import { mintAccessToken, mintAccessTokens, signerFor } from "./tokens.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const seconds = option("--seconds", 3);
const top = option("--top", 22);
const firstOnly = args.includes("--first");

const frameName = (frame) => {
  const file = frame.url ? frame.url.split("/").pop() : "";
  return `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
};

/** Self time per function (name + file:line), from a V8 CPU profile; with `inclusive`, the time of its callees too. */
function selfTimes(profile, { inclusive = false } = {}) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    // Each function once per sample, however deep its recursion.
    const counted = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = inclusive ? parentOf.get(id) : undefined) {
      const key = frameName(byNode.get(id).callFrame);
      if (counted.has(key)) continue;
      counted.add(key);
      self.set(key, (self.get(key) ?? 0) + dt);
    }
  }
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) };
}

/** Prints a profile's top functions, self time then inclusive, without the idle time around the request. */
function printTop(profile, label) {
  const quiet = new Set(["(idle)", "(root)"]);
  for (const inclusive of [false, true]) {
    const { rows } = selfTimes(profile, { inclusive });
    console.log(`  ${label}, ${inclusive ? "inclusive" : "self"} time:`);
    for (const [name, time] of rows.filter(([name]) => !quiet.has(name)).slice(0, top))
      console.log(`    ${(time / 1000).toFixed(2).padStart(6)} ms  ${name}`);
  }
}

/** Our worker as workerd runs it here: the unminified build (readable names), on `port`. */
function ourWorker(build, { origin, publicUrl, port, keySet }) {
  return {
    name: "edge-auth",
    scriptPath: join(BUILD, "worker-no-minify", "index.js"),
    kv: true,
    bindings: workerBindings({ originUrl: origin.url, publicUrl, keySet }),
    port,
    compatibilityDate: build.compatibilityDate,
    compatibilityFlags: build.compatibilityFlags,
  };
}

/**
 * The first gated request of three fresh isolates, each profiled from just before it is sent to
 * its answer (50 µs sampling): what an isolate compiles and does once, which the bench's
 * "first request after isolate start" adds up.
 */
async function firstRequests(build, keySet, signer, origin) {
  for (let run = 1; run <= 3; run++) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const stack = await startWorkerd([ourWorker(build, { origin, publicUrl, port, keySet })], { inspector: true });
    const session = await connectInspector(stack.mf, "edge-auth");
    try {
      const sid = randomBytes(16).toString("base64url");
      const token = await mintAccessToken(signer, publicUrl, { sub: "bench-user", email: "bench@example.com", sid });
      await session.call("Profiler.enable");
      await session.call("Profiler.setSamplingInterval", { interval: 50 });
      await session.call("Profiler.start");
      const response = await fetch(`${stack.urls["edge-auth"]}/app/first`, {
        headers: { cookie: `__Host-access=${token}` },
      });
      await response.arrayBuffer();
      const { profile } = await session.call("Profiler.stop");
      printTop(profile, `(first request, isolate ${run}: HTTP ${response.status})`);
    } finally {
      session.close();
      await stack.mf.dispose();
    }
  }
}

async function main() {
  const build = await buildAll();
  const keySet = await generateKeySet("ES256");
  const signer = await signerFor(keySet);
  const origin = await startOrigin();
  if (firstOnly) {
    await firstRequests(build, keySet, signer, origin);
    return origin.stop();
  }
  const port = await freePort();
  const floorPort = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const stack = await startWorkerd(
    [
      ourWorker(build, { origin, publicUrl, port, keySet }),
      {
        name: "floor-passthrough",
        scriptPath: build.peers.passthrough,
        bindings: { ORIGIN_URL: origin.url },
        port: floorPort,
      },
    ],
    { inspector: true },
  );
  const sessions = {
    "edge-auth": await connectInspector(stack.mf, "edge-auth"),
    "floor-passthrough": await connectInspector(stack.mf, "floor-passthrough"),
  };
  try {
    const token = await mintAccessToken(signer, publicUrl, {
      sub: "bench-user",
      email: "bench@example.com",
      sid: randomBytes(16).toString("base64url"),
    });
    const pool = await mintAccessTokens(signer, publicUrl, Math.ceil(6000 * seconds) + 3000);
    const fresh = distinctCookies("__Host-access", pool);
    const scenarios = [
      {
        id: "b0",
        label: "floor: the 5-line fetch() worker",
        worker: "floor-passthrough",
        path: "/public/x",
        cookies: sameCookie("__Host-access", token),
      },
      { id: "b", label: "bare proxy (public path)", path: "/public/x", cookies: sameCookie("__Host-access", token) },
      { id: "c", label: "gate, same session", path: "/app/x", cookies: sameCookie("__Host-access", token) },
      { id: "d", label: "gate, new token (new user) per request", path: "/app/x", cookies: fresh },
    ];
    for (const session of Object.values(sessions)) {
      await session.call("Profiler.enable");
      await session.call("Profiler.setSamplingInterval", { interval: 100 });
    }
    for (const s of scenarios) {
      const session = sessions[s.worker ?? "edge-auth"];
      const target = stack.urls[s.worker ?? "edge-auth"];
      await runLoad({ url: target, path: s.path, nextCookie: s.cookies, connections: 8, amount: 2000 }); // warm
      await session.call("Profiler.start");
      const result = await runLoad({
        url: target,
        path: s.path,
        nextCookie: s.cookies,
        connections: 8,
        durationSeconds: seconds,
      });
      const { profile } = await session.call("Profiler.stop");
      const { total, rows } = selfTimes(profile);
      console.log(
        `\n(${s.id}) ${s.label}: ${result.responses} requests, ${result.non2xx} non-2xx; ${(total / 1000).toFixed(0)} ms sampled, ${(total / result.responses).toFixed(0)} µs/request of isolate time`,
      );
      for (const [name, time] of rows.slice(0, top)) {
        console.log(
          `  ${((100 * time) / total).toFixed(1).padStart(5)}%  ${(time / result.responses).toFixed(1).padStart(6)} µs/req  ${name}`,
        );
      }
    }
  } finally {
    for (const session of Object.values(sessions)) session.close();
    await stack.mf.dispose();
    await origin.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

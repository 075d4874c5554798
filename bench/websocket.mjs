// What relaying a WebSocket costs (docs/websockets.md): CPU per message on workerd, relayed
// through the worker next to passed straight through, side by side in one run.
//
//   node bench/websocket.mjs [--rounds 5] [--messages 2000] [--sockets 8]
//
// One workerd (Miniflare's API, never `wrangler dev`) runs the real worker (wrangler's dry-run
// build) and a WebSocket echo origin Worker behind the ORIGIN service binding, each on its own
// direct socket. Three ways to the same echo, in interleaved rounds:
//   direct       the origin itself (the floor: the echo's own work and workerd's sockets);
//   pass-through the worker, on a path whose rule says "websocket": "pass-through";
//   relay        the worker, on a protected path (the default: relayed and watched).
// Each socket sends a message and waits for its echo, `--messages` times; one echo is two
// messages through the worker (client to origin, origin to client). CPU is the workerd
// process's own (bench/workerd-process.mjs), so the load generator's is not counted.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { generateKeySet } from "../scripts/keys.mjs";
import { BUILD, ROOT } from "./build.mjs";
import { COMPATIBILITY_DATE, freePort } from "./stack.mjs";
import { mintAccessToken, signerFor } from "./tokens.mjs";
import { cpuNs, newWorkerdChild, workerdChildren } from "./workerd-process.mjs";

// Miniflare is CommonJS: require() loads it without the scan of its bundle for export names that
// import() makes first, half a second of CPU per process here (see scripts/lib/wrangler.mjs).
const { Miniflare } = createRequire(import.meta.url)("miniflare");

// BENCH_SMOKE=1 (the docs' test sets it): the smallest plan, to prove the command runs, not to measure.
const smoke = process.env.BENCH_SMOKE === "1";
const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: smoke ? "1" : "5" },
    messages: { type: "string", default: smoke ? "50" : "2000" },
    sockets: { type: "string", default: smoke ? "2" : "8" },
  },
});
const ROUNDS = Number(args.rounds);
const MESSAGES = Number(args.messages);
const SOCKETS = Number(args.sockets);
const PAYLOAD = JSON.stringify({ type: "update", id: 12345, body: "x".repeat(100) });

const ECHO_ORIGIN = `export default { fetch(request) {
  if (request.headers.get("upgrade") !== "websocket") return new Response("echo origin");
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.addEventListener("message", (event) => server.send(event.data));
  return new Response(null, { status: 101, webSocket: client });
} };`;

function buildWorker() {
  const outdir = join(BUILD, "websocket-worker");
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    NO_COLOR: "1",
  };
  execFileSync(join(ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outdir, "--env="], {
    cwd: ROOT,
    env,
    stdio: "ignore",
  });
  return join(outdir, "index.js");
}

async function start(scriptPath, keySet) {
  const [workerPort, originPort] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${workerPort}`;
  const before = workerdChildren();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio: (stdout, stderr) => (stdout.resume(), stderr.resume()),
    workers: [
      {
        name: "edge-auth-ws",
        modules: true,
        scriptPath,
        compatibilityDate: COMPATIBILITY_DATE,
        compatibilityFlags: ["nodejs_compat"],
        kvNamespaces: ["SESSIONS"],
        serviceBindings: { ORIGIN: "ws-origin" },
        bindings: {
          ORIGIN_URL: "",
          ORIGIN_AUDIENCE: "bench-origin",
          PUBLIC_URL: publicUrl,
          OIDC_ISSUER: "https://accounts.google.com", // never contacted here
          OIDC_CLIENT_ID: "1234-bench.apps.googleusercontent.com",
          OIDC_CLIENT_SECRET: "bench-client-secret",
          SESSION_KEYS: JSON.stringify(keySet),
          ALLOWED_DOMAINS: "*",
          ACCESS_POLICY: JSON.stringify([{ path: "/live/*", allow: { domains: ["*"] }, websocket: "pass-through" }]),
        },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: workerPort }],
      },
      {
        name: "ws-origin",
        modules: true,
        script: ECHO_ORIGIN,
        compatibilityDate: COMPATIBILITY_DATE,
        unsafeDirectSockets: [{ host: "127.0.0.1", port: originPort }],
      },
    ],
  });
  await mf.ready;
  return { mf, pid: newWorkerdChild(before), publicUrl, originUrl: `http://127.0.0.1:${originPort}` };
}

function connect(url, headers) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`${url}: HTTP ${response.statusCode}`)),
    );
  });
}

/** `count` echoes on one socket, one at a time. */
function pingPong(socket, count) {
  return new Promise((resolve, reject) => {
    let left = count;
    socket.on("message", () => (--left === 0 ? resolve() : socket.send(PAYLOAD)));
    socket.once("close", () => left > 0 && reject(new Error("closed early")));
    socket.send(PAYLOAD);
  });
}

/** CPU µs of workerd per echo, over SOCKETS sockets of MESSAGES echoes each. */
async function round(pid, url, headers) {
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => connect(url, headers)));
  // A few echoes first, so that no socket's first message (and its setup) is counted.
  await Promise.all(sockets.map((socket) => pingPong(socket, 10)));
  for (const socket of sockets) socket.removeAllListeners("message");
  const startNs = cpuNs(pid);
  await Promise.all(sockets.map((socket) => pingPong(socket, MESSAGES)));
  const usedNs = cpuNs(pid) - startNs;
  await Promise.all(
    sockets.map((socket) => new Promise((resolve) => (socket.once("close", resolve), socket.close(1000)))),
  );
  return usedNs / 1000 / (SOCKETS * MESSAGES);
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

const keySet = await generateKeySet("ES256");
const { mf, pid, publicUrl, originUrl } = await start(buildWorker(), keySet);
try {
  const access = await mintAccessToken(await signerFor(keySet), publicUrl, {
    sub: "bench-1",
    email: "bench@example.com",
    sid: "bench-session",
  });
  const headers = { Cookie: `__Host-access=${access}`, Origin: publicUrl };
  const ws = (base, path) => `${base.replace(/^http/, "ws")}${path}`;
  const modes = {
    direct: [ws(originUrl, "/echo"), {}],
    "pass-through": [ws(publicUrl, "/live/echo"), headers],
    relay: [ws(publicUrl, "/chat/echo"), headers],
  };
  const results = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
  for (let r = 0; r < ROUNDS; r++)
    for (const [mode, [url, h]] of Object.entries(modes)) results[mode].push(await round(pid, url, h));
  const at = Object.fromEntries(Object.entries(results).map(([mode, values]) => [mode, median(values)]));
  const perMessage = (mode) => (at[mode] - at.direct) / 2;
  console.log(
    `workerd CPU per echo (median of ${ROUNDS} rounds, ${SOCKETS} sockets x ${MESSAGES} echoes, ${PAYLOAD.length}-byte text):`,
  );
  for (const mode of Object.keys(modes))
    console.log(
      `  ${mode.padEnd(13)} ${at[mode].toFixed(1).padStart(7)} µs/echo   rounds: ${results[mode].map((v) => v.toFixed(1)).join(", ")}`,
    );
  console.log(`worker's own CPU per message (over direct, an echo being two messages):`);
  console.log(`  pass-through ${perMessage("pass-through").toFixed(1).padStart(7)} µs/message`);
  console.log(`  relay        ${perMessage("relay").toFixed(1).padStart(7)} µs/message`);
  console.log(
    `ratios: relay / pass-through per echo ${(at.relay / at["pass-through"]).toFixed(2)}, relay / direct ${(at.relay / at.direct).toFixed(2)}, pass-through / direct ${(at["pass-through"] / at.direct).toFixed(2)}`,
  );
} finally {
  await mf.dispose();
}

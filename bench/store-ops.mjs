// Session-store operations per flow, counted: each flow's requests go, one at a time and without
// the latency model, to bench/latency-worker.ts (the real worker, its SESSIONS / SESSION_FAMILIES
// wrapped so that every operation is recorded in the answer's `x-bench-storage`), on each store.
// The counts go to bench/store-ops.json, which scripts/capacity.mjs (and `npm run check`) reads.
//
//   node bench/store-ops.mjs     builds the latency worker, runs the flows, writes the JSON
//   (npm run bench runs the same flows on its own stack and writes the same file)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.mjs";

export const STORE_OPS_FILE = join(ROOT, "bench", "store-ops.json");

const OFF = { "x-bench-latency": "off" };
const KINDS = [
  ["kvReads", (op) => op.startsWith("kv.get")],
  ["kvWrites", (op) => op === "kv.put"],
  ["kvDeletes", (op) => op === "kv.delete"],
  ["kvLists", (op) => op === "kv.list"],
  ["doRequests", (op) => op.startsWith("durable object")],
];

/** Operations of one answer, by kind (every operation counts, parallel or not). */
function countsOf(response) {
  const { roundTrips } = JSON.parse(response.headers.get("x-bench-storage") ?? '{"roundTrips":[]}');
  const ops = roundTrips.flatMap((trip) => trip.ops).filter((op) => !op.startsWith("provider"));
  const counts = Object.fromEntries(KINDS.map(([kind, is]) => [kind, ops.filter(is).length]));
  return {
    ...counts,
    roundTrips: roundTrips.filter((trip) => !trip.ops.every((op) => op.startsWith("provider"))).length,
  };
}

const cookiesOf = (response) =>
  Object.fromEntries(
    response.headers
      .getSetCookie()
      .map((line) => line.split(";")[0].split("="))
      .map(([name, ...value]) => [name, value.join("=")]),
  );
const cookieHeader = (jar) =>
  Object.entries(jar)
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");

async function send(url, path, { jar = {}, method = "GET", headers = {}, body } = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    body,
    redirect: "manual",
    headers: { accept: "application/json", cookie: cookieHeader(jar), ...OFF, ...headers },
  });
  await response.arrayBuffer();
  return { status: response.status, counts: countsOf(response), cookies: cookiesOf(response) };
}

/** A sign-in through the stub provider: the callback's operations, and the session's cookies. */
async function signIn(url, who) {
  const login = await send(url, "/auth/login?return_to=/app/x", { headers: { accept: "text/html" } });
  const location = await fetch(`${url}/auth/login?return_to=/app/x`, {
    redirect: "manual",
    headers: { accept: "text/html", ...OFF },
  });
  await location.arrayBuffer();
  const authorize = new URL(location.headers.get("location"));
  const code = Buffer.from(
    JSON.stringify({ nonce: authorize.searchParams.get("nonce"), sub: who, email: `${who}@example.com` }),
  ).toString("base64url");
  const jar = cookiesOf(location);
  const callback = await send(
    url,
    `/auth/callback?code=${code}&state=${encodeURIComponent(authorize.searchParams.get("state"))}`,
    { jar, headers: { accept: "text/html" } },
  );
  if (callback.status !== 302 || !callback.cookies["__Host-refresh"])
    throw new Error(`store-ops: sign-in answered ${callback.status}`);
  return {
    login: login.counts,
    callback: callback.counts,
    jar: { "__Host-access": callback.cookies["__Host-access"], "__Host-refresh": callback.cookies["__Host-refresh"] },
  };
}

function expectStatus(flow, status, wanted) {
  if (status !== wanted) throw new Error(`store-ops: ${flow} answered ${status}, not ${wanted}`);
}

/** Every flow once on the worker at `url`; returns each flow's counts. */
export async function measureFlows(url, store) {
  const who = (name) => `ops-${store}-${name}-${Date.now()}`;
  const ada = who("ada");
  const first = await signIn(url, ada);
  const flows = { signIn: first.callback };
  let r = await send(url, "/app/x", { jar: first.jar });
  expectStatus("request", r.status, 200);
  flows.request = r.counts;
  r = await send(url, "/app/x", { jar: first.jar, headers: { "x-bench-revocation-check": "1" } });
  expectStatus("request with REVOCATION_CHECK", r.status, 200);
  flows.requestWithRevocationCheck = r.counts;
  // A refresh an access-token lifetime later: the isolate knows the family, the location's cache forgot.
  r = await send(url, "/app/x", {
    jar: { "__Host-refresh": first.jar["__Host-refresh"] },
    headers: { "x-bench-later": "1" },
  });
  expectStatus("refresh", r.status, 200);
  flows.refresh = r.counts;
  const jar = { "__Host-access": r.cookies["__Host-access"], "__Host-refresh": r.cookies["__Host-refresh"] };
  r = await send(url, "/auth/logout", { jar, method: "POST" });
  expectStatus("logout", r.status, 303);
  flows.logout = r.counts;
  const second = await signIn(url, who("bob"));
  r = await send(url, "/auth/logout?scope=all", { jar: second.jar, method: "POST" });
  expectStatus("sign out everywhere", r.status, 303);
  flows.signOutEverywhere = r.counts;
  const token = await (
    await fetch(`${url}/__bench/security-event`, { method: "POST", body: JSON.stringify({ sub: ada }) })
  ).text();
  r = await send(url, "/auth/risc", {
    method: "POST",
    body: token,
    headers: { "content-type": "application/secevent+jwt" },
  });
  expectStatus("RISC event", r.status, 202);
  flows.riscEvent = r.counts;
  return flows;
}

/**
 * Not measured (the route is being added elsewhere): GET {AUTH_PREFIX}/sessions would list the
 * person's family keys and read each family record (KV), or make one call to their object (DO).
 */
export const SESSIONS_LIST_ESTIMATE = {
  kv: {
    kvLists: 1,
    kvReadsPerSession: 1,
    note: "estimate until measured: one list of the person's family keys and a read of each family",
  },
  "durable-object": { doRequests: 1, note: "estimate until measured: one call to the person's object" },
};

export async function measureStoreOps(targets) {
  const stores = {};
  for (const { store, url } of targets) stores[store] = await measureFlows(url, store);
  const result = { measuredBy: "bench/store-ops.mjs", flows: stores, sessionsListEstimate: SESSIONS_LIST_ESTIMATE };
  writeFileSync(STORE_OPS_FILE, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

export function storeOpsLines(result) {
  const lines = [];
  for (const [store, flows] of Object.entries(result.flows)) {
    for (const [flow, c] of Object.entries(flows)) {
      const parts = KINDS.map(([kind]) =>
        c[kind] ? `${c[kind]} ${kind.replace(/^kv|^do/, "").toLowerCase()}` : "",
      ).filter(Boolean);
      lines.push(`  ${store} ${flow}: ${parts.join(", ") || "no store operation"}`);
    }
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { freePort, startOrigin, startWorkerd, workerBindings } = await import("./stack.mjs");
  const { generateKeySet } = await import("../scripts/keys.mjs");
  const { LATENCY_MODEL } = await import("./latency-model.mjs");
  const built = join(ROOT, "bench", ".build", "store-ops-worker.js");
  const { bundleWorker } = await import("./build.mjs");
  await bundleWorker(join(ROOT, "bench", "latency-worker.ts"), built);
  const origin = await startOrigin();
  const keySet = await generateKeySet("ES256");
  const [kvPort, doPort] = [await freePort(), await freePort()];
  const bindings = (port, store) => ({
    ...workerBindings({ originUrl: origin.url, publicUrl: `http://127.0.0.1:${port}`, keySet }),
    OIDC_ISSUER: "https://provider.bench.test",
    SESSION_STORE: store,
    LATENCY_MODEL: JSON.stringify(LATENCY_MODEL),
  });
  const compat = { compatibilityFlags: ["nodejs_compat"] };
  const stack = await startWorkerd([
    { name: "ops-kv", scriptPath: built, kv: true, bindings: bindings(kvPort, "kv"), port: kvPort, ...compat },
    {
      name: "ops-do",
      scriptPath: built,
      durableObjects: { SESSION_FAMILIES: { className: "SessionFamilies", useSQLite: true } },
      bindings: bindings(doPort, "durable-object"),
      port: doPort,
      ...compat,
    },
  ]);
  try {
    const result = await measureStoreOps([
      { store: "kv", url: stack.urls["ops-kv"] },
      { store: "durable-object", url: stack.urls["ops-do"] },
    ]);
    console.log(storeOpsLines(result).join("\n"));
    console.log(`written to ${STORE_OPS_FILE}`);
  } finally {
    await stack.mf.dispose();
    await origin.stop();
  }
}

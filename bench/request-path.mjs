// Which source files one request runs through: a protected path, with a valid cookie session
// already verified once by this isolate (the common case). The worker is bundled by esbuild
// without minifying (each module keeps its `// src/...` marker), run in Node with the origin
// answered in-process, and V8's precise coverage of the second, warm request says which
// functions ran; each function is mapped back to the module it came from.
//
//   node bench/request-path.mjs          prints the files, in the order the bundle holds them
//
// It measures the code path, not time: Node is not workerd, and nothing here is a benchmark.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKeySet } from "../scripts/keys.mjs";

const ROOT = new URL("..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "request-path-"));
const stub = join(dir, "cloudflare-workers.mjs");
// The bindings module-level code reads (src/index.ts parses the configuration at isolate start): none here.
writeFileSync(stub, "export class DurableObject {}\nexport const env = {};\n");
const outfile = join(dir, "worker.mjs");
await promisify(execFile)(
  join(ROOT, "node_modules/.bin/esbuild"),
  [
    "src/index.ts",
    "--bundle",
    "--format=esm",
    "--platform=node",
    "--target=es2022",
    "--conditions=workerd,worker,browser",
    `--alias:cloudflare:workers=${stub}`,
    "--log-level=error",
    `--outfile=${outfile}`,
  ],
  { cwd: ROOT },
);

// Which module each line of the bundle belongs to, from esbuild's `// src/...` markers.
const lines = readFileSync(outfile, "utf8").split("\n");
const moduleAt = [];
let current = "(library)";
for (const line of lines) {
  const marker = /^\/\/ (src\/\S+|node_modules\/\S+)$/.exec(line);
  if (marker) current = marker[1].startsWith("src/") ? marker[1] : "(library)";
  moduleAt.push(current);
}
const lineStarts = [0];
for (const line of lines) lineStarts.push(lineStarts.at(-1) + line.length + 1);
const lineOf = (offset) => {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
};

const keys = await generateKeySet("ES256");
const env = {
  ORIGIN_URL: "http://origin.test",
  PUBLIC_URL: "https://app.test",
  OIDC_ISSUER: "https://issuer.test",
  OIDC_CLIENT_ID: "client",
  OIDC_CLIENT_SECRET: "secret",
  SESSION_KEYS: JSON.stringify(keys),
  ALLOWED_EMAILS: "ada@example.com",
  SESSIONS: {
    get: async () => null,
    put: async () => {},
    delete: async () => {},
    list: async () => ({ keys: [], list_complete: true }),
  },
};
globalThis.fetch = async () => new Response("hello from the origin", { headers: { "content-type": "text/plain" } });

const worker = (await import(outfile)).default;

// Sign the access token with the worker's own code path: a bundle of the token module alone.
const tokensOut = join(dir, "tokens-entry.mjs");
writeFileSync(
  join(dir, "tokens-entry.ts"),
  `export { signAccessToken } from ${JSON.stringify(join(ROOT, "src/tokens/access-token.ts"))};\nexport { assembleSessionKeys, parseSessionKeys } from ${JSON.stringify(join(ROOT, "src/config/session-keys.ts"))};\n`,
);
await promisify(execFile)(
  join(ROOT, "node_modules/.bin/esbuild"),
  [
    join(dir, "tokens-entry.ts"),
    "--bundle",
    "--format=esm",
    "--platform=node",
    "--log-level=error",
    `--outfile=${tokensOut}`,
  ],
  { cwd: ROOT },
);
const tokens = await import(tokensOut);
const { keys: configured } = await tokens.parseSessionKeys(JSON.stringify(keys));
const sessionKeys = tokens.assembleSessionKeys(configured.firstPrivate, configured.published);
const now = Math.floor(Date.now() / 1000);
const access = await tokens.signAccessToken(
  sessionKeys,
  { publicOrigin: "https://app.test", authPrefix: "/auth" },
  { sub: "1001", email: "ada@example.com" },
  "sid",
  now,
  now + 900,
);

const executionCtx = { waitUntil() {}, passThroughOnException() {} };
const request = () =>
  new Request("https://app.test/reports/q3", { headers: { cookie: `__Host-access=${access}`, accept: "text/html" } });
const warm = await worker.fetch(request(), env, executionCtx);
if (warm.status !== 200) throw new Error(`the warm-up request got ${warm.status}, not 200`);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
const response = await worker.fetch(request(), env, executionCtx);
await response.text();
const { result } = await session.post("Profiler.takePreciseCoverage");
await session.post("Profiler.stopPreciseCoverage");
if (response.status !== 200) throw new Error(`the measured request got ${response.status}, not 200`);

const script = result.find((entry) => entry.url.endsWith("/worker.mjs"));
const entered = [];
for (const fn of script.functions) {
  const whole = fn.ranges[0];
  if (!whole || whole.count === 0 || fn.functionName === "") continue;
  const module = moduleAt[lineOf(whole.startOffset)];
  if (module !== "(library)" && !entered.some((seen) => seen.module === module))
    entered.push({ module, offset: whole.startOffset });
}
entered.sort((a, b) => a.offset - b.offset);
const files = [...new Set(entered.map((entry) => entry.module))];
console.log(`${files.length} source files on the path of a warm cookie-session request to a protected path:`);
for (const file of files) console.log(`  ${file}`);

// Builds what the benchmark runs, into bench/.build (git-ignored), at every start, so the
// numbers are always those of the source as it is now:
//   - the real worker exactly as it would be deployed: `wrangler deploy --dry-run --outdir`
//     with wrangler.toml as it is (and twice more, with --minify and --no-minify, only to
//     report the bundle sizes); its compatibility date and flags are read from wrangler.toml
//     with wrangler's own reader, so workerd runs it the way Cloudflare would;
//   - the peers in bench/peers, bench/micro-worker.ts and bench/latency-worker.ts with the esbuild wrangler itself uses
//     (node_modules/.bin/esbuild), with the same settings wrangler applies to a worker: ESM,
//     browser platform, "workerd"/"worker" export conditions.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { loadWrangler } from "../scripts/lib/wrangler.mjs";

const run = promisify(execFile);

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const BUILD = join(ROOT, "bench", ".build");

const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
};

async function wranglerDryRun(outdir, minifyFlag) {
  rmSync(outdir, { recursive: true, force: true });
  // `--env=`: the top level, on purpose (wrangler warns when environments exist and none is named).
  const args = ["deploy", "--dry-run", "--outdir", outdir, "--env=", ...(minifyFlag ? [minifyFlag] : [])];
  try {
    await run(join(ROOT, "node_modules", ".bin", "wrangler"), args, { cwd: ROOT, env: QUIET_ENV, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new Error(`wrangler ${args.join(" ")} failed:\n${error.stderr || error.stdout || error.message}`);
  }
  const file = join(outdir, "index.js");
  const raw = readFileSync(file);
  return { file, rawBytes: raw.length, gzipBytes: gzipSync(raw).length };
}

/** Bundles a Worker entry for workerd with the settings wrangler applies (ESM, browser platform, workerd conditions). */
export async function bundleWorker(entry, outfile) {
  const args = [
    entry,
    "--bundle",
    "--format=esm",
    "--platform=browser",
    "--target=es2022",
    "--conditions=workerd,worker,browser",
    "--log-level=warning",
    "--external:node:*", // provided by workerd under nodejs_compat, as for the real worker
    "--external:cloudflare:*", // cloudflare:workers (DurableObject), provided by workerd
    `--outfile=${outfile}`,
  ];
  try {
    await run(join(ROOT, "node_modules", ".bin", "esbuild"), args, { cwd: ROOT, maxBuffer: 16 << 20 });
  } catch (error) {
    throw new Error(`esbuild ${entry} failed:\n${error.stderr || error.message}`);
  }
  return { file: outfile, rawBytes: statSync(outfile).size };
}

/** compatibility_date, compatibility_flags and minify from wrangler.toml, read by wrangler itself. */
async function readWranglerConfig() {
  const { unstable_readConfig } = loadWrangler();
  const config = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });
  return {
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags ?? [],
    minify: Boolean(config.minify),
  };
}

/** Builds everything; returns the paths and the real worker's bundle sizes. */
export async function buildAll() {
  mkdirSync(BUILD, { recursive: true });
  const [worker, minified, unminified, oidcPeer, jwkPeer, passthrough, micro, latency, config] = await Promise.all([
    wranglerDryRun(join(BUILD, "worker"), undefined),
    wranglerDryRun(join(BUILD, "worker-minify"), "--minify"),
    wranglerDryRun(join(BUILD, "worker-no-minify"), "--no-minify"),
    bundleWorker(join(ROOT, "bench", "peers", "oidc-auth.ts"), join(BUILD, "peers", "oidc-auth.js")),
    bundleWorker(join(ROOT, "bench", "peers", "jwk-gate.ts"), join(BUILD, "peers", "jwk-gate.js")),
    bundleWorker(join(ROOT, "bench", "peers", "passthrough.ts"), join(BUILD, "peers", "passthrough.js")),
    bundleWorker(join(ROOT, "bench", "micro-worker.ts"), join(BUILD, "micro-worker.js")),
    bundleWorker(join(ROOT, "bench", "latency-worker.ts"), join(BUILD, "latency-worker.js")),
    readWranglerConfig(),
  ]);
  return {
    worker: worker.file,
    peers: { oidc: oidcPeer.file, jwk: jwkPeer.file, passthrough: passthrough.file },
    micro: micro.file,
    latency: latency.file,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    bundle: {
      configuredMinify: config.minify,
      rawBytes: worker.rawBytes,
      gzipBytes: worker.gzipBytes,
      minifiedRawBytes: minified.rawBytes,
      minifiedGzipBytes: minified.gzipBytes,
      unminifiedRawBytes: unminified.rawBytes,
      unminifiedGzipBytes: unminified.gzipBytes,
      peerRawBytes: { oidc: oidcPeer.rawBytes, jwk: jwkPeer.rawBytes },
    },
  };
}

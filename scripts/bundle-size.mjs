#!/usr/bin/env node
// After `wrangler deploy --dry-run --outdir dist` (npm run size): prints the bundle's gzipped
// size and fails over the project's budget of 60 KiB gzipped. Cloudflare's own limit is far
// above it (3 MB compressed on Workers Free); the budget keeps an isolate's first request fast
// (docs/capacity.md "The bundle").
// @see https://developers.cloudflare.com/workers/platform/limits/#worker-size
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

/** The project's budget, gzipped as `npm run bench` measures it (zlib's default level). */
export const BUNDLE_LIMIT_BYTES = 60 * 1024;

export function bundleSize(file) {
  const raw = readFileSync(file);
  return { rawBytes: raw.length, gzipBytes: gzipSync(raw).length };
}

export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? "dist/index.js";
  const { rawBytes, gzipBytes } = bundleSize(file);
  const line = `bundle ${file}: ${kib(rawBytes)} minified, ${kib(gzipBytes)} gzipped (limit ${kib(BUNDLE_LIMIT_BYTES)})`;
  if (gzipBytes > BUNDLE_LIMIT_BYTES) {
    console.error(`${line}: over by ${kib(gzipBytes - BUNDLE_LIMIT_BYTES)}`);
    process.exit(1);
  }
  console.log(line);
}

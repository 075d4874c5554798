import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BUNDLE_LIMIT_BYTES } from "../../scripts/bundle-size.mjs";

const OFFLINE = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

/** `npm run size` ends with scripts/bundle-size.mjs on wrangler's output: the size, and a failure over 60 KiB. */
function sizeCheck(file: string) {
  const result = spawnSync("node", ["scripts/bundle-size.mjs", file], { encoding: "utf8" });
  return { code: result.status, output: result.stdout + result.stderr };
}

function sizeOf(bytes: Buffer) {
  const file = join(mkdtempSync(join(tmpdir(), "bundle-")), "index.js");
  writeFileSync(file, bytes);
  return { ...sizeCheck(file), gzipBytes: gzipSync(bytes).length };
}

describe("npm run size's bundle size check", () => {
  it("the bundle the worker ships, built as npm run build builds it, is within the budget", () => {
    // `npm run build`'s own command (package.json), into a directory of the test's own.
    const outdir = mkdtempSync(join(tmpdir(), "bundle-"));
    const build = spawnSync("node_modules/.bin/wrangler", ["deploy", "--dry-run", "--outdir", outdir, "--env="], {
      encoding: "utf8",
      env: { ...process.env, ...OFFLINE },
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const { code, output } = sizeCheck(join(outdir, "index.js"));
    expect(output).toMatch(/ KiB minified, [\d.]+ KiB gzipped \(limit 60\.0 KiB\)/);
    // Over the budget, the output says by how much.
    expect(code, output).toBe(0);
  });

  it("prints the gzipped size and passes at the limit", () => {
    expect(BUNDLE_LIMIT_BYTES).toBe(60 * 1024);
    // Random bytes do not compress: about the same size gzipped, just under the limit.
    const { code, output, gzipBytes } = sizeOf(randomBytes(60 * 1024 - 200));
    expect(gzipBytes).toBeLessThanOrEqual(60 * 1024);
    expect(code).toBe(0);
    expect(output).toContain(`${(gzipBytes / 1024).toFixed(1)} KiB gzipped (limit 60.0 KiB)`);
  });

  it("fails over the limit, saying by how much", () => {
    const { code, output, gzipBytes } = sizeOf(randomBytes(61 * 1024));
    expect(gzipBytes).toBeGreaterThan(60 * 1024);
    expect(code).toBe(1);
    expect(output).toContain(`over by ${((gzipBytes - 60 * 1024) / 1024).toFixed(1)} KiB`);
  });
});

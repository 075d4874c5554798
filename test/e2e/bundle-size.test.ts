import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BUNDLE_LIMIT_BYTES } from "../../scripts/bundle-size.mjs";

/** `npm run size` ends with scripts/bundle-size.mjs on wrangler's output: the size, and a failure over 60 KiB. */
function sizeOf(bytes: Buffer) {
  const file = join(mkdtempSync(join(tmpdir(), "bundle-")), "index.js");
  writeFileSync(file, bytes);
  const result = spawnSync("node", ["scripts/bundle-size.mjs", file], { encoding: "utf8" });
  return { code: result.status, output: result.stdout + result.stderr, gzipBytes: gzipSync(bytes).length };
}

describe("npm run size's bundle size check", () => {
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

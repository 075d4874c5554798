import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Wrangler and Miniflare are each one large CommonJS bundle. An ES module that import()s one
 * (or names it in an `import ... from`) has Node scan the whole bundle for its export names before
 * it runs: about a second of CPU for wrangler, half one for Miniflare, in every process that does,
 * from `npm start` and `npm run check` to each test process. require() skips that scan, so the
 * code outside src/ loads them with it: wrangler through `loadWrangler()` (scripts/lib/wrangler.mjs).
 */
const ROOT = join(__dirname, "../..");
const FOLDERS = ["scripts", "demo", "bench", "test", "examples", "verifier"];
const IMPORTED = /\bimport\(\s*["'](wrangler|miniflare)["']\s*\)|\bfrom\s+["'](wrangler|miniflare)["']/g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m?js|ts)$/.test(name) && !name.endsWith(".d.mts") ? [path] : [];
  });
}

describe("wrangler and Miniflare are loaded with require()", () => {
  it("no script, demo, benchmark or test imports either as an ES module", () => {
    // This file names them in its own sample; a type-only import or a comment's type loads nothing.
    const scanned = FOLDERS.flatMap((folder) => sources(join(ROOT, folder))).filter((path) => path !== __filename);
    const imports = scanned.flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => !/^\s*(import type\b|\*|\/\/)/.test(line))
        .flatMap((line) => [...line.matchAll(IMPORTED)].map((match) => `${relative(ROOT, path)}: ${match[0]}`)),
    );
    expect(imports).toEqual([]);
  });

  it("finds such an import where there is one", () => {
    const sample = 'const { unstable_readConfig } = await import("wrangler");\nimport { Miniflare } from "miniflare";';
    expect([...sample.matchAll(IMPORTED)].map((match) => match[1] ?? match[2])).toEqual(["wrangler", "miniflare"]);
  });
});

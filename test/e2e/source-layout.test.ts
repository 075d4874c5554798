import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The shape of src/, checked: imports run one way, from higher layers to lower ones. A module may
 * import its own layer or any lower one. A file's length is not checked: a file holds one concept,
 * however long that concept is, so a count of lines would only cut concepts into fragments.
 */
const SRC = resolve(__dirname, "../../src");
const LAYERS: [number, RegExp][] = [
  [
    0,
    /^(util\/|env\.ts$|secrets\.d\.ts$|identity\.ts$|errors\.ts$|request-scope\.ts$|log\.ts$|node-async-hooks\.d\.ts$)/,
  ],
  [1, /^config\//],
  [2, /^http\//],
  [3, /^tokens\//],
  [4, /^policy\//],
  [5, /^(oidc|session|keys|google|risc|workloads)\//],
  [6, /^proxy\//],
  [7, /^app\//],
  [8, /^(middleware|routes)\//],
  [9, /^index\.ts$/],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function layerOf(path: string): number {
  const name = relative(SRC, path);
  const layer = LAYERS.find(([, pattern]) => pattern.test(name));
  if (!layer) throw new Error(`${name} belongs to no layer: add it to LAYERS`);
  return layer[0];
}

function localImports(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)].map((match) => resolve(dirname(path), `${match[1]}.ts`));
}

describe("the layout of src/", () => {
  const sources = files(SRC);

  it("has no import from a lower layer to a higher one", () => {
    const upward = sources.flatMap((path) =>
      localImports(path)
        .filter((target) => layerOf(target) > layerOf(path))
        .map((target) => `${relative(SRC, path)} -> ${relative(SRC, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it("cites only documents the repository holds, and sections they have", () => {
    const ROOT = resolve(SRC, "..");
    const cited = [...sources, ...files(resolve(ROOT, "test"))].flatMap((path) =>
      [...readFileSync(path, "utf8").matchAll(/docs\/([a-z-]+\.md)(?:, "([^"]+)")?/g)].map((match) => ({
        from: relative(ROOT, path),
        doc: match[1]!,
        section: match[2],
      })),
    );
    expect(cited.length).toBeGreaterThan(10);
    const broken = cited.filter(({ doc, section }) => {
      const path = resolve(ROOT, "docs", doc);
      if (!existsSync(path)) return true;
      const headings = readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("#"));
      return section !== undefined && !headings.some((heading) => heading.includes(section));
    });
    expect(broken).toEqual([]);
  });
});

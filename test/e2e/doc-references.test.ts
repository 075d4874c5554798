import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * What the documentation points at is there: every repository path a page names (`src/…`,
 * `test/…`, `scripts/…`, …) exists, every link to a page or a file resolves, and every `#anchor`
 * and every quoted section (a page's name, then a section's in quotes) names a heading of its page. Source
 * comments, error texts and scripts' output name pages too: those are held to the same rule.
 */
const ROOT = join(__dirname, "../..");
const PAGES = [
  "README.md",
  "CONTRIBUTING.md",
  "bench/README.md",
  "demo/README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const FILES = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .stdout.split("\0")
  .filter((path) => path && existsSync(join(ROOT, path)));
/** The files outside the pages that name pages: code, scripts, tests, the package's descriptions. */
const NAMING_PAGES = FILES.filter((path) =>
  /^(src|scripts|test|bench|demo|verifier|examples|\.ci)\/|^(package\.json|wrangler\.toml)$/.test(path),
).filter((path) => /\.(ts|mjs|js|json|toml|py|go)$|^\.ci\//.test(path));

/** A repository path as prose or a command writes it; `…` and `*` stand for what follows. */
const REPOSITORY_PATH = /(?<![\w.@/~$-])((?:src|test|scripts|bench|docs|demo|verifier|examples|schema)\/[\w./*-]*)/g;

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function headingsOf(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((match) => match[1]!.replace(/`/g, ""));
}

/** Whether a path (maybe with `*`, `**` or a trailing `…`) names something in the repository. */
function exists(path: string): boolean {
  const trimmed = path.replace(/[.,:;]+$/, "");
  if (!trimmed.includes("*")) return existsSync(join(ROOT, trimmed));
  const pattern = new RegExp(
    "^" +
      trimmed
        .split(/(\*\*\/?|\*)/)
        .map((part) =>
          part.startsWith("**") ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
        )
        .join("") +
      "$",
  );
  return FILES.some((file) => pattern.test(file));
}

/**
 * Lists of tests name the folder once: in `test/unit/routes/gate.test.ts`, `risc.test.ts` the
 * second is `test/unit/routes/risc.test.ts`. Each file name alone on a line is read in the folder
 * of the last path before it on that line.
 */
function shortNames(markdown: string): string[] {
  return markdown.split("\n").flatMap((line) => {
    let folder: string | undefined;
    const paths: string[] = [];
    for (const [, quoted] of line.matchAll(/`([^`]+)`/g)) {
      if (new RegExp(`^${REPOSITORY_PATH.source}$`).test(quoted!))
        folder = quoted!.endsWith("/") ? quoted!.slice(0, -1) : dirname(quoted!);
      else if (folder && /^[\w*-]+\.(test\.ts|py|go|mjs)$/.test(quoted!)) paths.push(`${folder}/${quoted}`);
    }
    return paths;
  });
}

/** A link's target on disk, with its anchor; undefined for links that leave the repository. */
function linkTarget(page: string, target: string): { path: string; anchor?: string } | undefined {
  if (/^[a-z]+:/i.test(target) || target.startsWith("//")) return undefined;
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  return { path: path === "" ? page : normalize(join(dirname(page), path)), anchor };
}

const text = (path: string) => readFileSync(join(ROOT, path), "utf8");

describe("what the documentation points at", () => {
  it("reads GitHub's anchors as GitHub makes them", () => {
    expect([...anchorsOf("# A `b` (c): d, e\n## Preview deployments\n# Preview deployments\n")]).toEqual([
      "a-b-c-d-e",
      "preview-deployments",
      "preview-deployments-1",
    ]);
  });

  for (const page of PAGES) {
    it(`${page}: every repository path it names exists`, () => {
      const named = [...text(page).matchAll(REPOSITORY_PATH)].map((match) => match[1]!);
      expect([...named, ...shortNames(text(page))].filter((path) => !exists(path))).toEqual([]);
    });

    it(`${page}: every link resolves, to a heading where it names one`, () => {
      const broken: string[] = [];
      for (const [, target] of text(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        const resolved = linkTarget(page, target!);
        if (!resolved) continue;
        if (!existsSync(join(ROOT, resolved.path))) broken.push(`${target}: no such file`);
        else if (resolved.anchor !== undefined && resolved.path.endsWith(".md")) {
          if (!anchorsOf(text(resolved.path)).has(resolved.anchor)) broken.push(`${target}: no such heading`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it("every page that code, scripts and tests name exists, with the heading they name", () => {
    const broken: string[] = [];
    for (const file of [...NAMING_PAGES, ...PAGES]) {
      for (const match of text(file).matchAll(/\bdocs\/([\w-]+\.md)(?:#([\w-]+)|,? "([^"]+)")?/g)) {
        const [reference, name, anchor, section] = match as unknown as [string, string, string?, string?];
        const page = `docs/${name}`;
        if (!existsSync(join(ROOT, page))) broken.push(`${file}: ${reference}: no such page`);
        else if (anchor && !anchorsOf(text(page)).has(anchor)) broken.push(`${file}: ${reference}: no such heading`);
        else if (section && !headingsOf(text(page)).some((heading) => heading.startsWith(section)))
          broken.push(`${file}: ${reference}: no such section`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("finds the references it checks", () => {
    expect(PAGES.length).toBeGreaterThanOrEqual(8);
    expect(NAMING_PAGES).toContain("src/config/parse-config.ts");
    expect([...text("CONTRIBUTING.md").matchAll(REPOSITORY_PATH)].length).toBeGreaterThan(20);
  });
});

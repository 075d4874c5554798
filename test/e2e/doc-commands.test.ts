import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type RunnerTestSuite } from "vitest";

/**
 * Every shell command the documentation shows is run as a reader would paste it: each fenced
 * sh/bash/shell block, in order per file, in a temporary copy of the repository. A block that
 * cannot run offline carries a marker on the line before it; anything unmarked runs, so a new
 * block that does not work fails here. The blocks' own work is what takes the time (a benchmark
 * among them), so pages run side by side in copies made once and reset between pages.
 */
const ROOT = join(__dirname, "../..");
const DOCS = [
  "README.md",
  "CONTRIBUTING.md",
  "bench/README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const BLOCK_TIMEOUT_MS = 240_000;
/** What bash, npm and node say when a command, a script or a file does not exist. */
const MISSING_COMMAND = [/command not found/, /npm error Missing script/, /Cannot find module/, /ENOENT/];

type Marker = { kind: "run" } | { kind: "not-run"; reason: string } | { kind: "exit"; status: number; reason: string };
interface Block {
  line: number;
  script: string;
  marker: Marker;
}

/** The fenced shell blocks of a Markdown text, with the marker (an HTML comment) on the line before each. */
function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(sh|bash|shell)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++)
      body.push(lines[i]!.slice(Math.min(indent, /^\s*/.exec(lines[i]!)![0].length)));
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === "") before--;
    blocks.push({
      line: start + 1,
      script: body.join("\n") + "\n",
      marker: markerOf(before >= 0 ? lines[before]!.trim() : ""),
    });
  }
  return blocks;
}

function markerOf(line: string): Marker {
  const notRun = /^<!-- not run: (.+) -->$/.exec(line);
  if (notRun) return { kind: "not-run", reason: notRun[1]! };
  const exit = /^<!-- exit status (\d+): (.+) -->$/.exec(line);
  if (exit) return { kind: "exit", status: Number(exit[1]), reason: exit[2]! };
  return { kind: "run" };
}

const scratch = mkdtempSync(join(tmpdir(), "doc-commands-"));

/**
 * Stand-ins on PATH: `wrangler secret put` checks what it would store; the network's tools refuse;
 * `apt-get install` of what is installed already answers without reading apt's lists.
 */
function standIns(): string {
  const bin = join(scratch, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "secret-put.mjs"),
    `import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
const name = process.argv[2];
const value = readFileSync(0, "utf8");
if (!/^[A-Z_]+$/.test(name ?? "")) { console.error("secret put: no secret name"); process.exit(1); }
if (value.trim() === "") { console.error(\`secret put \${name}: nothing on standard input\`); process.exit(1); }
if (name === "SESSION_KEYS" || name === "GOOGLE_GROUPS_CREDENTIALS") {
  let parsed;
  try { parsed = JSON.parse(value); } catch { console.error(\`secret put \${name}: not JSON: \${JSON.stringify(value.slice(0, 40))}\`); process.exit(1); }
  if (name === "SESSION_KEYS" && !(Array.isArray(parsed.keys) && parsed.keys.length > 0 && parsed.keys[0].d && parsed.keys.every((key) => key.kid && key.alg))) {
    console.error("secret put SESSION_KEYS: not a key set whose first key is private"); process.exit(1);
  }
}
if (name === "KEY_WRAPPING_SECRET" && !/^[A-Za-z0-9_-]{43,}$/.test(value.trim())) {
  console.error("secret put KEY_WRAPPING_SECRET: not 32 or more bytes of base64url"); process.exit(1);
}
mkdirSync(".secrets", { recursive: true });
writeFileSync(\`.secrets/\${name}\`, value);
`,
  );
  // `apt-get install` of packages that are all installed already changes nothing, but apt reads
  // every package list first: seconds per block on a loaded machine. dpkg's status answers the
  // same question at once; anything else (a package missing, not root, another command) is apt's.
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" }).stdout.trim();
  if (apt)
    writeFileSync(
      join(bin, "apt-get"),
      `#!/bin/sh
if [ "$1" = install ] && [ "$(id -u)" = 0 ]; then
  packages=""
  for arg in "$@"; do
    case "$arg" in
      install | -y) ;;
      -*) exec "${apt}" "$@" ;;
      *) packages="$packages $arg" ;;
    esac
  done
  count=$(echo $packages | wc -w)
  installed=$(dpkg-query -W -f='\${Status}\n' $packages 2>/dev/null | grep -cx 'install ok installed')
  if [ "$count" -gt 0 ] && [ "$installed" = "$count" ]; then
    echo "apt-get install:$packages: already installed (dpkg-query), nothing to do"
    exit 0
  fi
fi
exec "${apt}" "$@"
`,
      { mode: 0o755 },
    );
  for (const tool of ["curl", "wget", "gcloud"]) {
    writeFileSync(
      join(bin, tool),
      `#!/bin/sh\necho "${tool}: not available to the documentation test; mark the block <!-- not run: REASON -->" >&2\nexit 1\n`,
    );
    chmodSync(join(bin, tool), 0o755);
  }
  return bin;
}
const bin = standIns();

/** `npx wrangler secret put NAME [--env X]` goes to the stand-in; any other wrangler command would need an account. */
function offline(script: string): string {
  return script
    .replace(/npx wrangler secret put ([A-Z_]+)(?: --env[ =][\w-]+)?/g, `node "${join(bin, "secret-put.mjs")}" $1`)
    .replace(/npx wrangler\b/g, "doc_test_refuses_wrangler");
}

/** Files of a repository copy that hold a private JWK member ("d"), outside what git tracks and the stand-in's .secrets/. */
function filesWithPrivateKeys(dir: string): string[] {
  const walk = (at: string): string[] =>
    readdirSync(at, { withFileTypes: true }).flatMap((entry) => {
      const path = join(at, entry.name);
      if (entry.isSymbolicLink() || [".secrets", ".git", ".wrangler"].includes(entry.name)) return [];
      return entry.isDirectory() ? walk(path) : [path];
    });
  return walk(dir)
    .filter((path) => !tracked.has(relative(dir, path)) && statSync(path).size < 1_000_000)
    .filter((path) => /"d"\s*:\s*"/.test(readFileSync(path, "utf8")))
    .map((path) => relative(dir, path));
}
const tracked = new Set<string>();

/**
 * A copy of the repository to run pages' blocks in: the files git tracks or would track (so no
 * local `.dev.vars`, keys or build output), with the installed packages linked in. It is made
 * once and put back as it was between pages (`reset`), which costs a walk instead of a copy.
 */
class Tree {
  readonly dir: string;
  /** Each tracked file's size and modification time in the copy, to see which ones a block changed. */
  private readonly stamps = new Map<string, string>();
  private readonly folders = new Set<string>();

  constructor(name: string) {
    this.dir = join(scratch, name);
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    if (listed.status !== 0) throw new Error(`git ls-files: ${listed.stderr}`);
    for (const file of listed.stdout.split("\0").filter((path) => path && existsSync(join(ROOT, path)))) {
      tracked.add(file);
      this.copy(file);
      for (let folder = dirname(file); folder !== "."; folder = dirname(folder)) this.folders.add(folder);
    }
    symlinkSync(join(ROOT, "node_modules"), join(this.dir, "node_modules"));
  }

  private copy(file: string): void {
    mkdirSync(dirname(join(this.dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(this.dir, file));
    this.stamps.set(file, this.stamp(file));
  }

  private stamp(file: string): string {
    const { size, mtimeMs } = statSync(join(this.dir, file));
    return `${size}:${mtimeMs}`;
  }

  /** Back to the copy as made: what blocks added is removed, what they changed or removed is copied again. */
  reset(): void {
    const walk = (at: string): void => {
      for (const entry of readdirSync(join(this.dir, at), { withFileTypes: true })) {
        const path = at === "" ? entry.name : `${at}/${entry.name}`;
        if (path === "node_modules") continue;
        if (entry.isDirectory() && this.folders.has(path)) walk(path);
        else if (!this.stamps.has(path) || !entry.isFile())
          rmSync(join(this.dir, path), { recursive: true, force: true });
        else if (this.stamp(path) !== this.stamps.get(path)) this.copy(path);
      }
    };
    walk("");
    for (const file of this.stamps.keys()) if (!existsSync(join(this.dir, file))) this.copy(file);
  }
}

/**
 * Pages run side by side, each in a tree of its own for as long as it runs: LANES trees, made
 * once each, and reset when a page is done. A page's blocks run in order, sharing its tree.
 */
const LANES = 2;
const idle: Tree[] = [];
const waiting: ((tree: Tree) => void)[] = [];
let made = 0;
async function withTree<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const tree =
    idle.pop() ?? (made < LANES ? new Tree(`tree-${made++}`) : await new Promise<Tree>((give) => waiting.push(give)));
  try {
    return await work(tree.dir);
  } finally {
    tree.reset();
    const next = waiting.shift();
    if (next) next(tree);
    else idle.push(tree);
  }
}

/** Top-level .json files and their modification times, to see which ones a block wrote. */
function jsonFiles(dir: string): Map<string, number> {
  return new Map(
    readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .map((name) => [name, statSync(join(dir, name)).mtimeMs]),
  );
}

interface Outcome {
  status: number | null;
  output: string;
  brokenJson: string[];
}

/** Runs one block as `bash -e -o pipefail`, offline, with a typed answer on standard input for prompts. */
async function runBlock(script: string, cwd: string): Promise<Outcome> {
  const before = jsonFiles(cwd);
  const prelude = `doc_test_refuses_wrangler() { echo "wrangler $*: needs a Cloudflare account; mark the block <!-- not run: REASON -->" >&2; return 1; }\n`;
  const { CLOUDFLARE_API_TOKEN: _token, CLOUDFLARE_ACCOUNT_ID: _account, ...env } = process.env;
  const result = await new Promise<{ status: number | null; output: string }>((done) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", prelude + offline(script)], {
      cwd,
      timeout: BLOCK_TIMEOUT_MS,
      env: {
        ...env,
        PATH: `${bin}:${process.env.PATH}`,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        // A benchmark a page shows runs its smallest plan here: the test proves the command works.
        BENCH_SMOKE: "1",
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdin.on("error", () => {}).end("typed-at-the-prompt\n");
    child.on("error", (error) => done({ status: null, output: `${stdout}${stderr}${String(error)}` }));
    child.on("close", (status, signal) =>
      done({
        status,
        output: `${stdout}${stderr}${signal ? `killed by ${signal} (over ${BLOCK_TIMEOUT_MS} ms?)` : ""}`,
      }),
    );
  });
  const brokenJson = [...jsonFiles(cwd)]
    .filter(([name, mtime]) => before.get(name) !== mtime)
    .map(([name]) => name)
    .filter((name) => {
      try {
        JSON.parse(readFileSync(join(cwd, name), "utf8"));
        return false;
      } catch {
        return true;
      }
    });
  return { status: result.status, output: result.output, brokenJson };
}

/** The pages with blocks to run, and those blocks in order. */
const PAGES = DOCS.map((file) => ({
  file,
  blocks: shellBlocks(readFileSync(join(ROOT, file), "utf8")).filter((block) => block.marker.kind !== "not-run"),
})).filter(({ blocks }) => blocks.length > 0);
/** A test waits for its block's turn as well as for the block itself. */
const WAIT_MS = 10 * 60_000;

/** Work tests wait for, each started once: by the first test that awaits it, or earlier, by beforeAll. */
const runs = new Map<string, Promise<unknown>>();
function started<T>(key: string, work: () => Promise<T>): Promise<T> {
  if (!runs.has(key)) {
    const run = work();
    // A run that throws is reported by the test that awaits it, not as an unhandled rejection first.
    run.catch(() => {});
    runs.set(key, run);
  }
  return runs.get(key) as Promise<T>;
}

/** A page's blocks, run in order in one tree, with what each left behind. */
function pageRun(file: string) {
  const { blocks } = PAGES.find((page) => page.file === file)!;
  return started(file, () =>
    withTree(async (dir) => {
      const results: { outcome: Outcome; privateKeys: string[] }[] = [];
      for (const block of blocks) {
        const outcome = await runBlock(block.script, dir);
        results.push({ outcome, privateKeys: filesWithPrivateKeys(dir) });
      }
      return results;
    }),
  );
}

const BANNER = "catches a key set written through npm's banner, and a secret piped through it";
const bannerRun = () =>
  started(BANNER, () =>
    withTree(async (dir) => {
      const written = await runBlock("npm run keys -- generate > keys.json\n", dir);
      const piped = await runBlock(
        "npm run keys -- generate | npx wrangler secret put SESSION_KEYS --env staging\n",
        dir,
      );
      return { written, piped, deploy: await runBlock("npx wrangler deploy --env staging\n", dir) };
    }),
  );

const CHECK_FIXES = "the configuration check's fixes that pipe a command into a secret store a valid secret";
const checkFixesRun = () =>
  started(CHECK_FIXES, () =>
    withTree(async (dir) => {
      const check = await runBlock("node scripts/check-config.mjs\n", dir);
      const fixes = [];
      for (const [, fix] of check.output.matchAll(/^\s*fix: (.+\| npx wrangler secret put [A-Z_]+)$/gm)) {
        const outcome = await runBlock(`${fix}\n`, dir);
        const stored = join(dir, ".secrets/SESSION_KEYS");
        fixes.push({ fix: fix!, outcome, stored: existsSync(stored) ? readFileSync(stored, "utf8") : undefined });
      }
      return { check, fixes };
    }),
  );

// The trees go only when nothing runs in them any more.
afterAll(async () => {
  await Promise.allSettled(runs.values());
  rmSync(scratch, { recursive: true, force: true });
}, WAIT_MS);

describe("every shell command in the documentation", () => {
  // Everything the tests that will run (all, or those -t picks) need starts now, side by side.
  beforeAll(({}, suite) => {
    for (const task of (suite as RunnerTestSuite).tasks) {
      if (task.type === "suite" && task.tasks.some((test) => test.mode === "run")) void pageRun(task.name);
      if (task.type === "test" && task.mode === "run" && task.name === BANNER) void bannerRun();
      if (task.type === "test" && task.mode === "run" && task.name === CHECK_FIXES) void checkFixesRun();
    }
  });

  it("finds the blocks, and every marker gives its reason", () => {
    const all = DOCS.flatMap((file) => shellBlocks(readFileSync(join(ROOT, file), "utf8")));
    expect(all.filter((block) => block.marker.kind === "run").length).toBeGreaterThanOrEqual(5);
    expect(all.filter((block) => block.marker.kind === "not-run").length).toBeGreaterThanOrEqual(5);
    for (const block of all) if (block.marker.kind !== "run") expect(block.marker.reason.length).toBeGreaterThan(5);
  });

  it("puts a tree back as it was copied after a page: what a block added, changed or removed", () => {
    const tree = new Tree("reset-check");
    const at = (path: string) => join(tree.dir, path);
    const readme = readFileSync(at("README.md"), "utf8");
    writeFileSync(at(".dev.vars"), "OIDC_CLIENT_ID=left-behind\n");
    mkdirSync(at(".secrets/nested"), { recursive: true });
    writeFileSync(at(".secrets/nested/SESSION_KEYS"), "{}");
    writeFileSync(at("README.md"), "changed in place");
    rmSync(at("wrangler.toml"));
    tree.reset();
    expect([".dev.vars", ".secrets"].filter((path) => existsSync(at(path)))).toEqual([]);
    expect(readFileSync(at("README.md"), "utf8")).toBe(readme);
    expect(readFileSync(at("wrangler.toml"), "utf8")).toBe(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
    expect(existsSync(join(at("node_modules"), "vitest"))).toBe(true);
  });

  it(BANNER, { timeout: WAIT_MS }, async () => {
    const { written, piped, deploy } = await bannerRun();
    expect(written.status).toBe(0);
    expect(written.brokenJson).toEqual(["keys.json"]);
    expect(piped.status).toBe(1);
    expect(piped.output).toContain("secret put SESSION_KEYS: not JSON");
    expect(deploy.output).toContain("needs a Cloudflare account");
  });

  for (const { file, blocks } of PAGES) {
    describe(file, () => {
      for (const [i, block] of blocks.entries()) {
        const expected = block.marker.kind === "exit" ? block.marker.status : 0;
        it(`line ${block.line} runs and ends with status ${expected}`, { timeout: WAIT_MS }, async () => {
          const { outcome, privateKeys } = (await pageRun(file))[i]!;
          // An expected failure must be the command's own answer, not a command that is missing.
          const missing = MISSING_COMMAND.filter((pattern) => pattern.test(outcome.output)).map(String);
          expect(
            { status: outcome.status, brokenJson: outcome.brokenJson, missing },
            `${block.script}\n${outcome.output}`,
          ).toEqual({ status: expected, brokenJson: [], missing: [] });
          // No documented command leaves a private key in the working tree (Cloudflare's stand-in keeps its own).
          expect(privateKeys, block.script).toEqual([]);
        });
      }
    });
  }

  it(CHECK_FIXES, { timeout: WAIT_MS }, async () => {
    const { check, fixes } = await checkFixesRun();
    expect(check.status).toBe(1);
    expect(fixes.map(({ fix }) => fix)).toEqual([expect.stringContaining("SESSION_KEYS")]);
    for (const { fix, outcome, stored } of fixes) {
      expect(outcome.status, `${fix}\n${outcome.output}`).toBe(0);
      expect(JSON.parse(stored!).keys).toHaveLength(1);
    }
  });
});

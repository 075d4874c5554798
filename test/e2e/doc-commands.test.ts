import { spawnSync } from "node:child_process";
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
import { afterAll, describe, expect, it } from "vitest";

/**
 * Every shell command the documentation shows is run as a reader would paste it: each fenced
 * sh/bash/shell block, in order per file, in a temporary copy of the repository. A block that
 * cannot run offline carries a marker on the line before it; anything unmarked runs, so a new
 * block that does not work fails here.
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
const BLOCK_TIMEOUT_MS = 120_000;
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
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Stand-ins on PATH: `wrangler secret put` checks what it would store; the network's tools refuse. */
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
 * A copy of the repository to run one page's blocks in: the files git tracks or would track (so
 * no local `.dev.vars`, keys or build output), with the installed packages linked in.
 */
function repositoryCopy(name: string): string {
  const dir = join(scratch, name.replace(/[^\w.-]/g, "_"));
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(listed.status, listed.stderr).toBe(0);
  for (const file of listed.stdout.split("\0").filter((path) => path && existsSync(join(ROOT, path)))) {
    tracked.add(file);
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
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
function runBlock(script: string, cwd: string): Outcome {
  const before = jsonFiles(cwd);
  const prelude = `doc_test_refuses_wrangler() { echo "wrangler $*: needs a Cloudflare account; mark the block <!-- not run: REASON -->" >&2; return 1; }\n`;
  const { CLOUDFLARE_API_TOKEN: _token, CLOUDFLARE_ACCOUNT_ID: _account, ...env } = process.env;
  const result = spawnSync("bash", ["-e", "-o", "pipefail", "-c", prelude + offline(script)], {
    cwd,
    input: "typed-at-the-prompt\n",
    encoding: "utf8",
    timeout: BLOCK_TIMEOUT_MS,
    env: {
      ...env,
      PATH: `${bin}:${process.env.PATH}`,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
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
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}${result.error ? String(result.error) : ""}`,
    brokenJson,
  };
}

describe("every shell command in the documentation", () => {
  it("finds the blocks, and every marker gives its reason", () => {
    const all = DOCS.flatMap((file) => shellBlocks(readFileSync(join(ROOT, file), "utf8")));
    expect(all.filter((block) => block.marker.kind === "run").length).toBeGreaterThanOrEqual(5);
    expect(all.filter((block) => block.marker.kind === "not-run").length).toBeGreaterThanOrEqual(5);
    for (const block of all) if (block.marker.kind !== "run") expect(block.marker.reason.length).toBeGreaterThan(5);
  });

  it(
    "catches a key set written through npm's banner, and a secret piped through it",
    { timeout: BLOCK_TIMEOUT_MS },
    () => {
      const dir = repositoryCopy("banner");
      const written = runBlock("npm run keys -- generate > keys.json\n", dir);
      expect(written.status).toBe(0);
      expect(written.brokenJson).toEqual(["keys.json"]);
      const piped = runBlock("npm run keys -- generate | npx wrangler secret put SESSION_KEYS --env staging\n", dir);
      expect(piped.status).toBe(1);
      expect(piped.output).toContain("secret put SESSION_KEYS: not JSON");
      expect(runBlock("npx wrangler deploy --env staging\n", dir).output).toContain("needs a Cloudflare account");
    },
  );

  for (const file of DOCS) {
    const blocks = shellBlocks(readFileSync(join(ROOT, file), "utf8")).filter(
      (block) => block.marker.kind !== "not-run",
    );
    if (blocks.length === 0) continue;
    describe(file, () => {
      let dir: string | undefined;
      for (const block of blocks) {
        const expected = block.marker.kind === "exit" ? block.marker.status : 0;
        it(`line ${block.line} runs and ends with status ${expected}`, { timeout: BLOCK_TIMEOUT_MS + 10_000 }, () => {
          dir ??= repositoryCopy(file);
          const outcome = runBlock(block.script, dir);
          // An expected failure must be the command's own answer, not a command that is missing.
          const missing = MISSING_COMMAND.filter((pattern) => pattern.test(outcome.output)).map(String);
          expect(
            { status: outcome.status, brokenJson: outcome.brokenJson, missing },
            `${block.script}\n${outcome.output}`,
          ).toEqual({ status: expected, brokenJson: [], missing: [] });
          // No documented command leaves a private key in the working tree (Cloudflare's stand-in keeps its own).
          expect(filesWithPrivateKeys(dir), block.script).toEqual([]);
        });
      }
    });
  }

  it(
    "the configuration check's fixes that pipe a command into a secret store a valid secret",
    { timeout: BLOCK_TIMEOUT_MS + 10_000 },
    () => {
      const dir = repositoryCopy("check-fixes");
      const check = runBlock("node scripts/check-config.mjs\n", dir);
      expect(check.status).toBe(1);
      const fixes = [...check.output.matchAll(/^\s*fix: (.+\| npx wrangler secret put [A-Z_]+)$/gm)].map(
        (match) => match[1]!,
      );
      expect(fixes).toEqual([expect.stringContaining("SESSION_KEYS")]);
      for (const fix of fixes) {
        const outcome = runBlock(`${fix}\n`, dir);
        expect(outcome.status, `${fix}\n${outcome.output}`).toBe(0);
        expect(JSON.parse(readFileSync(join(dir, ".secrets/SESSION_KEYS"), "utf8")).keys).toHaveLength(1);
      }
    },
  );
});

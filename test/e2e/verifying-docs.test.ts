import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { GO_ENV } from "../support/process-origin";

/**
 * docs/origin.md tells people to copy its snippets: each one runs (Python:
 * builds its verifier and wraps its app, which fetches nothing yet), builds (Go) or parses (Node)
 * against the shipped files, and every file the page names exists.
 */
const ROOT = resolve(__dirname, "../..");
const PAGE = readFileSync(join(ROOT, "docs/origin.md"), "utf8");
const blocks = (language: string) =>
  [...PAGE.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1]!);
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "docs-snippets-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the snippets of docs/origin.md", () => {
  it("runs the Python ones (WSGI and ASGI) against verifier/python", { timeout: 60_000 }, async () => {
    expect(blocks("python")).toHaveLength(2);
    for (const snippet of blocks("python")) {
      const check = `${snippet}\nassert callable(application) and application.verifier is verifier\nprint("ok")\n`;
      const env = { ...process.env, PYTHONPATH: join(ROOT, "verifier/python") };
      const { stdout } = await run("/usr/bin/python3", ["-c", check], { cwd: scratch, env });
      expect(stdout).toBe("ok\n");
    }
  });

  it("builds the Go one against edgeauth/assertion", { timeout: 180_000 }, async () => {
    const [snippet] = blocks("go");
    const workspace = join(scratch, "go");
    mkdirSync(join(workspace, "src/docsnippet"), { recursive: true });
    writeFileSync(join(workspace, "src/docsnippet/main.go"), snippet!);
    const env = { ...process.env, ...GO_ENV, GOPATH: `${GO_ENV.GOPATH}:${workspace}` };
    await run("go", ["vet", "docsnippet"], { cwd: workspace, env });
    await run("go", ["build", "-o", join(scratch, "docsnippet"), "docsnippet"], { cwd: workspace, env });
    expect(existsSync(join(scratch, "docsnippet"))).toBe(true);
  });

  it("parses the Node ones, one of which imports the shipped verifier", async () => {
    expect(blocks("js").filter((snippet) => snippet.includes('from "./verify-assertion.mjs"'))).toHaveLength(1);
    for (const [i, snippet] of blocks("js").entries()) {
      const file = join(scratch, `node-origin-${i}.mjs`);
      writeFileSync(file, snippet);
      await run(process.execPath, ["--check", file]);
    }
    const shipped = await import("../../verifier/verify-assertion.mjs");
    expect(typeof shipped.verifyAssertion).toBe("function");
  });

  it("names only files that exist", () => {
    const paths = [...PAGE.matchAll(/`((?:verifier|examples|test)\/[^`\s]+)`/g)].map((m) => m[1]!);
    const commandPaths = blocks("sh").flatMap((block) =>
      [...block.matchAll(/\b((?:verifier|examples)\/[\w./-]+)/g)].map((match) => match[1]!),
    );
    expect(paths.length).toBeGreaterThan(5);
    expect([...paths, ...commandPaths].filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});

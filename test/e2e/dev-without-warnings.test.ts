import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { freePort } from "../support/stack";

/**
 * `npm run dev` with the local secrets in .dev.vars, as every developer has them, starts without
 * "types might be out of date": a notice printed at every start teaches people to ignore it.
 * Run in a copy of the project (its files linked) so the test brings its own .dev.vars.
 */
describe("npm run dev", () => {
  it("starts with a .dev.vars and prints no stale-types notice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dev-start-"));
    for (const entry of readdirSync(".")) {
      if ([".git", ".wrangler", ".demo"].includes(entry) || entry.startsWith(".dev.vars") || entry.startsWith(".env"))
        continue;
      symlinkSync(resolve(entry), join(dir, entry));
    }
    writeFileSync(
      join(dir, ".dev.vars"),
      `OIDC_CLIENT_SECRET=local-secret\nSESSION_KEYS='${JSON.stringify(await generateKeySet())}'\n`,
    );
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const child = spawn(
      "npm",
      ["run", "dev", "--", "--port", String(port), "--inspector-port", String(inspectorPort)],
      {
        cwd: dir,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    const exited = new Promise((done) => child.once("exit", done));
    try {
      await new Promise<void>((ready, fail) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("Ready on")) ready();
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.once("exit", () => fail(new Error(`npm run dev exited early:\n${output}`)));
      });
    } finally {
      // npm, wrangler and workerd: the whole group this test started.
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
    expect(output).toContain("Using secrets defined in .dev.vars");
    expect(output).not.toContain("types might be out of date");
  }, 90_000);
});

import { execFile, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { freePort } from "../support/stack";

/** A warning printed at every start teaches people to ignore warnings: `npm start` prints none. */
describe("npm start", () => {
  it.each(["url", "service-binding"])(
    "starts the demo with no warning (no stale-types notice, no nodejs_compat warning), and the demo's CI job reaches the origin, ORIGIN_VIA=%s",
    async (originVia) => {
      const [port, providerPort, originPort, directoryPort, workloadIssuerPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const child = spawn(process.execPath, ["demo/start.mjs"], {
        env: {
          ...process.env,
          PORT: String(port),
          PROVIDER_PORT: String(providerPort),
          ORIGIN_PORT: String(originPort),
          DIRECTORY_PORT: String(directoryPort),
          WORKLOAD_ISSUER_PORT: String(workloadIssuerPort),
          PARTNER_PROVIDER_PORT: String(await freePort()),
          ORIGIN_VIA: originVia,
          WRANGLER_SEND_METRICS: "false",
          CLOUDFLARE_CF_FETCH_ENABLED: "false",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      let startOutput = "";
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        await new Promise<void>((resolve, reject) => {
          const onData = (chunk: Buffer) => {
            output += chunk.toString();
            // wrangler's "Ready on" comes last: by then the build and its checks have spoken.
            if (output.includes("demo is running") && output.includes("Ready on")) resolve();
          };
          child.stdout.on("data", onData);
          child.stderr.on("data", onData);
          child.once("exit", () => reject(new Error(`npm start exited early:\n${output}`)));
        });
        const health = await fetch(`http://127.0.0.1:${port}/auth/health`);
        expect(health.status).toBe(200);
        // The demo origin answers through the worker, by ORIGIN_URL or by the ORIGIN service binding.
        expect(await (await fetch(`http://127.0.0.1:${port}/public/hello`)).text()).toBe("public: /public/hello\n");
        startOutput = output;
        expect(output).toContain(
          originVia === "url"
            ? `http://127.0.0.1:${originPort}  (ORIGIN_URL)`
            : "the ORIGIN service binding -> demo-origin-worker",
        );
        // `npm run demo:workload`: a GitHub Actions job's token from the demo's stand-in, sent as a bearer.
        const call = await new Promise<string>((resolve) =>
          execFile(process.execPath, ["demo/workload-call.mjs"], { encoding: "utf8" }, (_error, stdout, stderr) =>
            resolve(stdout + stderr),
          ),
        );
        expect(call).toContain("POST /api/deploy -> HTTP 200");
        expect(call).toContain("origin saw x-auth-workload: demo-ci");
        expect(call).toContain("origin's check of X-Auth-Assertion: verified, workload=demo-ci");
      } finally {
        child.kill("SIGTERM");
        await exited;
      }
      // What starting printed. Stopping is not judged here: wrangler 4.86 removes a dev session's
      // bundle directory before it disposes the esbuild watcher (bundleWorker's stop()), so under
      // load the watcher sometimes rebuilds in between and prints "Build failed ... Could not resolve
      // middleware-loader.entry.ts" at shutdown, whatever the demo does.
      expect(startOutput).toContain("demo is running");
      expect(startOutput).not.toMatch(/WARNING|types might be out of date|ERROR/i);
    },
    90_000,
  );
});

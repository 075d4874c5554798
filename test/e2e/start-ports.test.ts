import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/stack";

/** Holds a port, as another program would. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function runStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["demo/start.mjs"], {
    env: { ...process.env, ...env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

describe("npm start with ports in use", () => {
  const held: Server[] = [];
  let ports: Record<string, string>;
  beforeAll(async () => {
    const [port, providerPort, originPort, directoryPort, workloadIssuerPort] = await Promise.all(
      [1, 2, 3, 4, 5].map(() => freePort()),
    );
    ports = {
      PORT: String(port),
      PROVIDER_PORT: String(providerPort),
      ORIGIN_PORT: String(originPort),
      DIRECTORY_PORT: String(directoryPort),
      WORKLOAD_ISSUER_PORT: String(workloadIssuerPort),
      PARTNER_PROVIDER_PORT: String(await freePort()),
    };
    held.push(await occupy(port!), await occupy(originPort!), await occupy(workloadIssuerPort!));
  });
  afterAll(() => Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve)))));

  it("names every busy port in one run, each with the variable that moves it, and starts nothing", async () => {
    const { code, output } = await runStart(ports);
    expect(code).toBe(1);
    for (const name of ["PORT", "ORIGIN_PORT", "WORKLOAD_ISSUER_PORT"])
      expect(output).toContain(`${ports[name]} (${name})`);
    for (const name of ["PROVIDER_PORT", "DIRECTORY_PORT"]) expect(output).not.toContain(`${ports[name]} (${name})`);
    expect(output).not.toContain("demo is running");
  }, 60_000);

  it("names two variables set to the same port", async () => {
    const { code, output } = await runStart({
      ...ports,
      PORT: ports.PROVIDER_PORT!,
      ORIGIN_PORT: ports.DIRECTORY_PORT!,
      WORKLOAD_ISSUER_PORT: String(await freePort()),
    });
    expect(code).toBe(1);
    expect(output).toContain(`PORT and PROVIDER_PORT are both ${ports.PROVIDER_PORT}`);
    expect(output).toContain(`ORIGIN_PORT and DIRECTORY_PORT are both ${ports.DIRECTORY_PORT}`);
  }, 60_000);
});

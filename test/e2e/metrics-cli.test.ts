import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardQueries, main } from "../../scripts/metrics.mjs";
import { runCommand } from "../support/run-command";

/** `npm run metrics`: the dashboard of docs/operating.md, sent to a local stand-in for the Analytics Engine SQL API. */
const received: { url: string; authorization: string | undefined; body: string }[] = [];
const api = createServer(async (request: IncomingMessage, response) => {
  let body = "";
  for await (const chunk of request) body += chunk;
  received.push({ url: request.url ?? "", authorization: request.headers.authorization, body });
  response
    .writeHead(200, { "content-type": "application/json" })
    .end('{"data":[{"route":"gate","p50_ms":1}],"rows":1}');
});
let apiUrl = "";
beforeAll(async () => {
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/client/v4`;
});
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

/** `npm run metrics -- ARGS` against the stand-in, in this process (test/support/run-command.ts); no Cloudflare account but `env`'s. */
async function metrics(args: string[], env: Record<string, string> = {}) {
  const { code, output } = await runCommand(main, args, { env: { CLOUDFLARE_API_BASE_URL: apiUrl, ...env } });
  return { code, output };
}

/** The same as a process of its own, `node scripts/metrics.mjs`: its entry point, exit status, stdout and stderr. */
function metricsProcess(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const { CLOUDFLARE_ACCOUNT_ID: _a, CLOUDFLARE_API_TOKEN: _t, ...rest } = process.env;
    const child = spawn(process.execPath, ["scripts/metrics.mjs", ...args], {
      env: { ...rest, CLOUDFLARE_API_BASE_URL: apiUrl },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    // "close", not "exit": by then everything it printed has been read.
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("npm run metrics", () => {
  it("posts the dashboard's SQL over the AUTH_METRICS dataset to the account's SQL API, with the token", async () => {
    received.length = 0;
    const { code, output } = await metrics(["latency", "--hours", "6", "--env", "production"], {
      CLOUDFLARE_ACCOUNT_ID: "acc123",
      CLOUDFLARE_API_TOKEN: "tok456",
    });
    expect(code).toBe(0);
    expect(output).toContain('"p50_ms":1');
    expect(received).toEqual([
      {
        url: "/client/v4/accounts/acc123/analytics_engine/sql",
        authorization: "Bearer tok456",
        body: dashboardQueries("edge_auth_decisions", 6).latency,
      },
    ]);
    expect(received[0]!.body).toContain("quantileExactWeighted(0.95)(double1, _sample_interval)");
    expect(received[0]!.body).toContain("INTERVAL '6' HOUR");
  });

  it("prints the SQL and the curl command with --print, and needs no credentials for that", async () => {
    expect((await metrics(["decisions", "--print", "--env", "staging"])).output).toContain(
      "FROM edge_auth_decisions_staging\n",
    );
    const { code, output } = await metrics(["all", "--print"]);
    expect(code).toBe(0);
    for (const name of ["decisions", "refresh-rate", "latency"]) expect(output).toContain(`-- ${name}`);
    expect(output).toContain('curl -sS "');
    expect(output).toContain("/accounts/$CLOUDFLARE_ACCOUNT_ID/analytics_engine/sql");
    // The top level's dataset (local development) without --env.
    expect(output).toContain("FROM edge_auth_decisions_dev\n");
  });

  it("refuses to run without credentials, and refuses hours that are not whole numbers", async () => {
    expect(await metricsProcess(["decisions"])).toMatchObject({
      code: 1,
      output: expect.stringContaining("CLOUDFLARE_API_TOKEN"),
    });
    const injected = await metrics(["decisions", "--hours", "1' HOUR; DROP", "--print"]);
    expect(injected.code).toBe(1);
    expect(injected.output).toContain("--hours");
  });
});

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT, importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectFor } from "../../demo/provider.mjs";
import { startWorkloadIssuer } from "../../demo/workload-issuer.mjs";
import { generateSigningKey, type PrivateSigningJwk } from "../../scripts/keys.mjs";
import { findPython } from "../../scripts/lib/verifier-tools.mjs";
import { Browser } from "../support/http-client";
import {
  buildGoExampleOrigin,
  GO_ENV,
  GO_WORKSPACE,
  startProcessOrigin,
  type ProcessOrigin,
} from "../support/process-origin";
import { startStack, type Stack } from "../support/stack";

/**
 * The example origins of verifier/python (PyJWT, wsgiref) and verifier/go (go-jose, net/http),
 * each a real process behind the real worker under wrangler, with the real local provider. The
 * worker signs with an EdDSA key and also publishes an ES256 one, so both algorithms are checked.
 */
const run = promisify(execFile);
// PYTHON, else Debian's /usr/bin/python3, else python3 on PATH: the first with PyJWT and cryptography.
const PYTHON = findPython().path ?? "python3";
const buildDir = mkdtempSync(join(tmpdir(), "e2e-verifiers-"));
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

type Start = (env: Record<string, string>) => Promise<ProcessOrigin>;
const ORIGINS: { language: string; start: () => Promise<Start> }[] = [
  {
    language: "Python",
    start: async () => (env) => startProcessOrigin(PYTHON, ["verifier/python/example_origin.py"], env),
  },
  {
    language: "Go",
    start: async () => {
      const binary = join(buildDir, "example-origin");
      await buildGoExampleOrigin(binary);
      return (env) => startProcessOrigin(binary, [], env);
    },
  },
];

describe.each(ORIGINS)("the $language example origin behind the worker", ({ start }) => {
  let stack: Stack;
  let startOrigin: Start;
  let github: Awaited<ReturnType<typeof startWorkloadIssuer>>;
  let signing: PrivateSigningJwk;
  let published: PrivateSigningJwk;
  const extra: ProcessOrigin[] = [];

  beforeAll(async () => {
    startOrigin = await start();
    github = await startWorkloadIssuer({ job: { repository: "org/app" } });
    [signing, published] = [await generateSigningKey("EdDSA"), await generateSigningKey("ES256")];
    stack = await startStack({
      sessionKeys: { keys: [signing, published] },
      vars: {
        TRUSTED_WORKLOADS: JSON.stringify({
          "ci-main": { issuer: github.issuer, audience: "https://app.e2e", claims: { repository: "org/app" } },
        }),
        ACCESS_POLICY: JSON.stringify([{ path: "/api/deploy", methods: ["POST"], allow: { workloads: ["ci-main"] } }]),
      },
      origin: ({ workerUrl, audience }) => startOrigin({ WORKER_URL: workerUrl, AUDIENCE: audience, PORT: "0" }),
    });
  });
  afterAll(async () => {
    await Promise.all(extra.map((origin) => origin.close()));
    await stack?.close();
    await github?.close();
  });

  /** An assertion as the worker makes one, signed with its ES256 key; each option changes one thing. */
  async function assertion(
    options: { forged?: boolean; aud?: string; iat?: number; typ?: string; claims?: Record<string, unknown> } = {},
  ) {
    const { forged = false, aud = "e2e-origin", typ = "auth-assertion+jwt" } = options;
    const iat = options.iat ?? Math.floor(Date.now() / 1000);
    // A forgery: another key, under the kid of the worker's.
    const key = forged ? await generateSigningKey("ES256") : published;
    return new SignJWT(options.claims ?? { email: "ada@example.com" })
      .setProtectedHeader({ alg: "ES256", kid: published.kid, typ })
      .setIssuer(stack.workerUrl)
      .setAudience(aud)
      .setSubject("1001")
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(await importJWK(key as JWK, "ES256"));
  }
  const direct = (url: string, token?: string) =>
    fetch(`${url}/whoami`, { headers: token ? { "X-Auth-Assertion": token } : {} });

  it("answers a person signed in through the provider with the sub and e-mail the worker verified", async () => {
    const browser = new Browser();
    const { response } = await browser.signIn(`${stack.workerUrl}/whoami`, "ada@example.com");
    expect(response.status).toBe(200);
    const identity = { sub: subjectFor("ada@example.com"), email: "ada@example.com", hd: "example.com" };
    expect(await response.json()).toEqual(identity);
  });

  it("refuses with 401 when reached directly: forged, expired, misaddressed, mistyped, the access token", async () => {
    const browser = new Browser();
    expect((await browser.signIn(`${stack.workerUrl}/whoami`, "ada@example.com")).response.status).toBe(200);
    const accessToken = browser.jar.get(stack.workerUrl, "__Host-access");
    expect(accessToken).toMatch(/^ey/);
    // The same assertion signed right is accepted on the same path: each refusal is for its one difference.
    const accepted = await direct(stack.originUrl, await assertion());
    expect([accepted.status, await accepted.json()]).toEqual([200, { sub: "1001", email: "ada@example.com" }]);
    const old = Math.floor(Date.now() / 1000) - 3600;
    const cases: [string, string | undefined][] = [
      ["none", undefined],
      ["forged", await assertion({ forged: true })],
      ["expired", await assertion({ iat: old })],
      ["another audience", await assertion({ aud: "https://another-origin.e2e" })],
      ["a session token's type", await assertion({ typ: "session+jwt" })],
      ["the worker's access token", accessToken],
    ];
    for (const [name, token] of cases) {
      const response = await direct(stack.originUrl, token);
      expect([name, response.status, await response.json()]).toEqual([name, 401, { error: "unauthorized" }]);
    }
  });

  it("refuses a workload's assertion with 401 unless it is started to accept workloads", async () => {
    // What a GitHub Actions step does: ask the job's token endpoint for a token with the worker's audience.
    const job = await fetch(`${github.tokenRequestUrl}&audience=${encodeURIComponent("https://app.e2e")}`, {
      headers: { authorization: `bearer ${github.requestToken}` },
    });
    const jobToken = ((await job.json()) as { value: string }).value;
    const response = await fetch(`${stack.workerUrl}/api/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${jobToken}` },
      body: "{}",
    });
    // The worker let the job through (its own 401 says WWW-Authenticate); the origin refused it.
    const answer = [response.status, response.headers.get("www-authenticate"), await response.json()];
    expect(answer).toEqual([401, null, { error: "unauthorized" }]);

    const workload = await assertion({ claims: { workload: "ci-main" } });
    expect((await direct(stack.originUrl, workload)).status).toBe(401);
    const env = { WORKER_URL: stack.workerUrl, AUDIENCE: "e2e-origin", PORT: "0", ACCEPT_WORKLOADS: "1" };
    const machines = await startOrigin(env);
    extra.push(machines);
    const accepted = await direct(machines.url, workload);
    expect([accepted.status, await accepted.json()]).toEqual([200, { sub: "1001", workload: "ci-main" }]);
  });
});

describe("the verifiers' own tests", () => {
  it("python3 -m unittest passes", { timeout: 120_000 }, async () => {
    const { stderr } = await run(PYTHON, ["-m", "unittest", "discover", "-s", "verifier/python"]);
    expect(stderr).toMatch(/^Ran \d+ tests in .*\n\nOK\n$/m);
  });

  it("go test passes", { timeout: 180_000 }, async () => {
    const env = { ...process.env, ...GO_ENV };
    const { stdout } = await run("go", ["test", "-count=1", "edgeauth/assertion"], { cwd: GO_WORKSPACE, env });
    expect(stdout).toMatch(/^ok\s+edgeauth\/assertion\s/);
  });
});

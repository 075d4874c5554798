import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkloadIssuer } from "../../demo/workload-issuer.mjs";
import { startStack, type Stack } from "../support/stack";

/**
 * Machines as callers over real HTTP: a local workload issuer standing in for GitHub Actions
 * (discovery, keys, and the token endpoint a job calls), the worker under wrangler, the demo
 * origin. A workload sends its own OIDC token as `Authorization: Bearer`.
 */
let stack: Stack;
let github: Awaited<ReturnType<typeof startWorkloadIssuer>>;
let stranger: Awaited<ReturnType<typeof startWorkloadIssuer>>;

beforeAll(async () => {
  [github, stranger] = await Promise.all([
    startWorkloadIssuer({ job: { repository: "org/app" } }),
    startWorkloadIssuer({ job: { repository: "org/app" } }),
  ]);
  stack = await startStack({
    vars: {
      TRUSTED_WORKLOADS: JSON.stringify({
        "ci-main": {
          issuer: github.issuer,
          audience: "https://app.e2e",
          claims: { repository: "org/app", ref: "refs/heads/main" },
        },
      }),
      ACCESS_POLICY: JSON.stringify([
        { path: "/api/deploy", methods: ["POST"], allow: { workloads: ["ci-main"] } },
        { path: "/api/*", allow: { domains: ["*"] }, preflight: true },
        { path: "/admin/*", allow: { domains: ["corp.test"] } },
      ]),
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await Promise.all([github?.close(), stranger?.close()]);
});

/** What a GitHub Actions step does: ask the job's token endpoint for a token with our audience. */
async function jobToken(audience = "https://app.e2e"): Promise<string> {
  const response = await fetch(`${github.tokenRequestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `bearer ${github.requestToken}` },
  });
  return ((await response.json()) as { value: string }).value;
}

const deploy = (token: string, path = "/api/deploy", method = "POST") =>
  fetch(`${stack.workerUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(method === "POST" ? { body: '{"version":"1.2.3"}' } : {}),
  });

describe("a GitHub Actions job as a trusted workload", () => {
  it("reaches its path with the workload's headers and a verified assertion; its token is not forwarded and no cookie is set", async () => {
    const before = stack.originRequests.length;
    const response = await deploy(await jobToken());
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().filter((cookie) => cookie.startsWith("__Host-"))).toEqual([]);
    const [seen] = stack.originRequests.slice(before);
    expect(seen!.url).toBe("/api/deploy");
    expect(seen!.headers["x-auth-workload"]).toBe("ci-main");
    expect(seen!.headers["x-auth-user-sub"]).toBe("repo:org/app:ref:refs/heads/main");
    expect(seen!.headers["x-auth-user-email"]).toBeUndefined();
    expect(seen!.headers.authorization).toBeUndefined();
    expect(seen!.body).toBe('{"version":"1.2.3"}');
    // The demo origin verifies the assertion against the worker's JWKS, as any origin should.
    const { assertion } = (await response.json()) as { assertion: { valid: boolean; claims: Record<string, unknown> } };
    expect(assertion).toMatchObject({
      valid: true,
      claims: { workload: "ci-main", sub: "repo:org/app:ref:refs/heads/main" },
    });
  });

  it("refuses with 401 a wrong audience, a wrong repository, an expired token, alg none, HS256 and an unknown issuer; the origin gets nothing", async () => {
    const now = Math.floor(Date.now() / 1000);
    const [header, payload] = (await github.sign()).split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    const hs256 = await new SignJWT(
      JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>,
    )
      .setProtectedHeader({ ...(JSON.parse(Buffer.from(header!, "base64url").toString()) as object), alg: "HS256" })
      .sign(new TextEncoder().encode("a secret anyone could pick"));
    const cases: [string, string][] = [
      ["wrong audience", await jobToken("https://another-app.e2e")],
      [
        "wrong repository",
        await github.sign({ aud: "https://app.e2e", repository: "org/fork", sub: "repo:org/fork:ref:refs/heads/main" }),
      ],
      ["expired", await github.sign({ aud: "https://app.e2e" }, { issuedAt: now - 900 })],
      ["alg none", none],
      ["HS256", hs256],
      ["unknown issuer", await stranger.sign({ aud: "https://app.e2e" })],
    ];
    const before = stack.originRequests.length;
    for (const [name, token] of cases) {
      const response = await deploy(token);
      expect([name, response.status]).toEqual([name, 401]);
      expect(response.headers.get("www-authenticate"), name).toMatch(/^Bearer realm="edge-auth"/);
    }
    expect(stack.originRequests.length).toBe(before);
  });

  it("gets 403 on a path its rules do not name, and never reaches the worker's routes as a person", async () => {
    const token = await jobToken();
    const before = stack.originRequests.length;
    expect((await deploy(token, "/api/deploy", "GET")).status).toBe(403);
    expect((await deploy(token, "/admin/users", "GET")).status).toBe(403);
    expect((await deploy(token, "/anything", "GET")).status).toBe(403);
    expect((await deploy(token, "/auth/me", "GET")).status).toBe(401);
    expect((await deploy(token, "/auth/refresh")).status).toBe(401);
    expect(stack.originRequests.length).toBe(before);
  });

  it("a flood of unknown kids does not refetch the issuer's keys per request", async () => {
    expect((await deploy(await jobToken())).status).toBe(200);
    const before = github.hits.get("/.well-known/jwks") ?? 0;
    // The first unknown kid may refetch (it could be a rotation) if the cooldown is over; none after it may.
    expect(
      (await deploy(await github.sign({ aud: "https://app.e2e" }, { header: { kid: "unknown-first" } }))).status,
    ).toBe(401);
    const flood = await Promise.all(
      Array.from(
        { length: 40 },
        async (_, i) =>
          (await deploy(await github.sign({ aud: "https://app.e2e" }, { header: { kid: `unknown-${i}` } }))).status,
      ),
    );
    expect(flood.every((status) => status === 401)).toBe(true);
    expect((github.hits.get("/.well-known/jwks") ?? 0) - before).toBeLessThanOrEqual(1);
    expect(github.hits.get("/.well-known/openid-configuration")).toBe(1);
    expect(stranger.hits.size).toBe(0);
  });
});

describe("a CORS preflight", () => {
  const preflight = (path: string) =>
    fetch(`${stack.workerUrl}${path}`, {
      method: "OPTIONS",
      headers: {
        origin: "https://spa.e2e",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type",
      },
    });

  it("passes to the origin, without identity, only where the rule of the announced request says preflight", async () => {
    const before = stack.originRequests.length;
    expect((await preflight("/api/items")).status).toBe(200);
    const [seen] = stack.originRequests.slice(before);
    expect([seen!.method, seen!.url]).toEqual(["OPTIONS", "/api/items"]);
    expect(Object.keys(seen!.headers).filter((name) => name.startsWith("x-auth-"))).toEqual([]);
    expect((await preflight("/admin/users")).status).toBe(401);
    expect((await preflight("/elsewhere")).status).toBe(401);
    expect(stack.originRequests.length).toBe(before + 1);
  });

  it("is never an OPTIONS that carries a body: that needs a session, and the origin sees nothing of it", async () => {
    const before = stack.originRequests.length;
    const headers = {
      origin: "https://spa.e2e",
      "access-control-request-method": "PUT",
      "content-type": "application/json",
    };
    const response = await fetch(`${stack.workerUrl}/api/items?delete=all`, {
      method: "OPTIONS",
      headers,
      body: '{"drop":"all"}',
    });
    expect(response.status).toBe(401);
    expect(stack.originRequests.length).toBe(before);
  });
});

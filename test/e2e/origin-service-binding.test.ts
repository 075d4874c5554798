import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * The origin with no address of its own: the worker runs under wrangler with no ORIGIN_URL and
 * reaches the demo origin only through its ORIGIN service binding, to a Worker in front of it
 * (demo/origin-worker/), as `ORIGIN_VIA=service-binding npm start` runs it. (An origin Worker
 * that throws: test/unit/routes/gate.test.ts, in workerd, where the binding's fetch() rejects as on
 * Cloudflare; across wrangler's dev registry the same failure arrives as a 500 response.)
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ originVia: "service-binding" });
});
afterAll(() => stack?.close());

describe("an origin behind the ORIGIN service binding, under wrangler", () => {
  it("signs in and proxies with identity headers and an assertion the origin verifies", async () => {
    const browser = new Browser();
    const { response } = await browser.signIn(`${stack.workerUrl}/api/whoami?x=1`, "ada@example.com");
    expect(response.status).toBe(200);
    const seen = (await response.json()) as {
      path: string;
      query: string;
      assertion: { valid: boolean; claims: { aud: string } };
    };
    // The demo origin checked the assertion itself (issuer, audience, signature, age).
    expect(seen).toMatchObject({
      path: "/api/whoami",
      query: "?x=1",
      assertion: { valid: true, claims: { aud: "e2e-origin" } },
    });
    // Its own cookies come back; ours it cannot set.
    expect(response.headers.getSetCookie().map((cookie) => cookie.split("=")[0])).toEqual([
      "origin_pref",
      "origin_other",
    ]);

    const received = stack.originRequests.at(-1)!;
    expect(received.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(received.headers.cookie ?? "").not.toMatch(/__Host-/);
    const jwks = createRemoteJWKSet(new URL(`${stack.workerUrl}/.well-known/jwks.json`));
    await expect(
      jwtVerify(received.headers["x-auth-assertion"]!, jwks, { issuer: stack.workerUrl, audience: "e2e-origin" }),
    ).resolves.toBeTruthy();
  });

  it("strips client-sent identity headers on the way, public paths too", async () => {
    const response = await fetch(`${stack.workerUrl}/public/x`, {
      headers: { "X-Auth-User-Email": "evil@example.com", x_auth_user_sub: "0", "X-Forwarded-User": "evil" },
    });
    expect(await response.text()).toBe("public: /public/x\n");
    const received = stack.originRequests.at(-1)!;
    expect(Object.keys(received.headers).filter((name) => /^x.auth|^x-forwarded-user/.test(name))).toEqual([]);
  });
});

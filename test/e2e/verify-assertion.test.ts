import { createServer, type Server } from "node:http";
import { SignJWT, importJWK, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeySet } from "../../scripts/keys.mjs";
import { verifyAssertion } from "../../verifier/verify-assertion.mjs";

const ISSUER = "https://app.example.com";
const AUDIENCE = "https://origin.example.com";
let server: Server;
let jwksUrl: string;
let sign: (
  claims: Record<string, unknown>,
  options?: { iss?: string; aud?: string; iat?: number; exp?: number; forged?: boolean; typ?: string },
) => Promise<string>;

beforeAll(async () => {
  const { keys } = await generateKeySet("ES256");
  const {
    keys: [forger],
  } = await generateKeySet("ES256");
  const { d: _d, ...publicKey } = keys[0]!;
  server = createServer((_req, res) => res.end(JSON.stringify({ keys: [{ ...publicKey, use: "sig" }] })));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  sign = async (
    claims,
    {
      iss = ISSUER,
      aud = AUDIENCE,
      iat = Math.floor(Date.now() / 1000),
      exp = iat + 300,
      forged = false,
      typ = "auth-assertion+jwt",
    } = {},
  ) => {
    const jwk = forged ? { ...forger!, kid: keys[0]!.kid } : keys[0]!;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: keys[0]!.kid, typ })
      .setIssuer(iss)
      .setAudience(aud)
      .setSubject("1001")
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(await importJWK(jwk as JWK, "ES256"));
  };
});
afterAll(() => server?.close());

const request = (assertion?: string) =>
  new Request("https://origin.example.com/", { headers: assertion ? { "X-Auth-Assertion": assertion } : {} });
const options = () => ({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });
async function code(promise: Promise<unknown>) {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe("verifyAssertion (the origin's side)", () => {
  it("accepts a valid assertion from a Fetch Request or a Node request", async () => {
    const assertion = await sign({ email: "ada@example.com" });
    expect(await verifyAssertion(request(assertion), options())).toMatchObject({
      sub: "1001",
      email: "ada@example.com",
    });
    const nodeLike = { headers: { "x-auth-assertion": assertion } } as never;
    expect((await verifyAssertion(nodeLike, options())).email).toBe("ada@example.com");
  });

  it("rejects a wrong audience, a wrong issuer, an expired one, a forged one and a missing one", async () => {
    expect(
      await code(verifyAssertion(request(await sign({ email: "a@x" }, { aud: "https://other.example" })), options())),
    ).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    expect(
      await code(verifyAssertion(request(await sign({ email: "a@x" }, { iss: "https://evil.example" })), options())),
    ).toBe("ERR_JWT_CLAIM_VALIDATION_FAILED");
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(
      await code(verifyAssertion(request(await sign({ email: "a@x" }, { iat: old, exp: old + 300 })), options())),
    ).toBe("ERR_JWT_EXPIRED");
    expect(await code(verifyAssertion(request(await sign({ email: "a@x" }, { forged: true })), options()))).toBe(
      "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
    expect(await code(verifyAssertion(request(), options()))).toBe("ERR_ASSERTION_MISSING");
  });

  it("refuses a workload's assertion unless the origin asks for workloads, then says which workload it is", async () => {
    const assertion = await sign({ workload: "ci-main" });
    expect(await code(verifyAssertion(request(assertion), options()))).toBe("ERR_ASSERTION_WORKLOAD");
    const verified = await verifyAssertion(request(assertion), { ...options(), workloads: true });
    expect(verified).toMatchObject({ sub: "1001", workload: "ci-main" });
    expect(verified.email).toBeUndefined();
    // A person's assertion still needs its e-mail, workloads or not.
    expect(await code(verifyAssertion(request(await sign({})), { ...options(), workloads: true }))).toBe(
      "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
  });

  it("rejects another of the worker's tokens in its place: a session token, or an untyped JWT", async () => {
    for (const typ of ["session+jwt", "JWT"]) {
      expect(await code(verifyAssertion(request(await sign({ email: "a@x" }, { typ })), options()))).toBe(
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
      );
    }
  });
});

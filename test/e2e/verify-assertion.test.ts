import { createServer, type Server } from "node:http";
import { SignJWT, importJWK, type JWK } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
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

/**
 * The worker's key set as the verifier keeps it: failed fetches count in the 30-second cooldown,
 * a fetch under way holds up no assertion the keys already held can verify, and those keys keep
 * verifying for an hour after their fetch while refetching fails. Each test has a key set of its
 * own (its own URL, so its own cache); the clock is moved, never waited for.
 */
describe("verifyAssertion's key set", () => {
  const servers: Server[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const each of servers.splice(0)) {
      each.closeAllConnections();
      each.close();
    }
  });

  async function keySet() {
    const { keys } = await generateKeySet("ES256");
    const { d: _d, ...publicKey } = keys[0]!;
    const state = { hits: 0, down: false, held: undefined as Promise<void> | undefined, arrived: () => {} };
    const jwks = createServer(async (_req, res) => {
      state.hits++;
      state.arrived();
      if (state.held) await state.held;
      if (state.down) res.writeHead(503).end();
      else res.end(JSON.stringify({ keys: [{ ...publicKey, use: "sig" }] }));
    });
    servers.push(jwks);
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
    const signWith = async (kid: string, key: JWK) =>
      new SignJWT({ email: "ada@example.com" })
        .setProtectedHeader({ alg: "ES256", kid, typ: "auth-assertion+jwt" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject("1001")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(await importJWK(key, "ES256"));
    const { keys: strangers } = await generateKeySet("ES256");
    return {
      state,
      valid: () => signWith(keys[0]!.kid as string, keys[0]! as JWK),
      stranger: () => signWith(`stranger-${Math.random()}`, strangers[0]! as JWK),
      verify: async (assertion: string) =>
        code(verifyAssertion(request(assertion), { jwksUrl: url, issuer: ISSUER, audience: AUDIENCE })),
      /** Holds every answer of the key set until the returned release(); `arrived` once one waits. */
      stall() {
        let release = () => {};
        state.held = new Promise<void>((resolve) => (release = resolve));
        const arrived = new Promise<void>((resolve) => (state.arrived = resolve));
        return {
          arrived,
          release: () => {
            state.held = undefined;
            release();
          },
        };
      },
    };
  }

  const start = Date.parse("2026-12-07T12:00:00Z");
  const at = (seconds: number) => vi.setSystemTime(start + seconds * 1000);

  it("counts a failed fetch in the cooldown, so forged kids cannot start one each", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const set = await keySet();
    expect(await set.verify(await set.valid())).toBe("accepted");
    set.state.down = true;
    at(31);
    for (let i = 0; i < 20; i++) expect(await set.verify(await set.stranger())).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(set.state.hits).toBe(2);
    expect(await set.verify(await set.valid())).toBe("accepted");
    at(62);
    expect(await set.verify(await set.stranger())).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(set.state.hits).toBe(3);
  });

  it("with no keys yet, answers ERR_JWKS_UNAVAILABLE at once after a failed fetch, until the cooldown ends", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const set = await keySet();
    set.state.down = true;
    for (let i = 0; i < 10; i++) expect(await set.verify(await set.valid())).toBe("ERR_JWKS_UNAVAILABLE");
    expect(set.state.hits).toBe(1);
    set.state.down = false;
    at(31);
    expect(await set.verify(await set.valid())).toBe("accepted");
    expect(set.state.hits).toBe(2);
  });

  it("keeps the last keys for an hour while the key set cannot be fetched", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const set = await keySet();
    expect(await set.verify(await set.valid())).toBe("accepted");
    set.state.down = true;
    at(601);
    expect([await set.verify(await set.valid()), set.state.hits]).toEqual(["accepted", 2]);
    at(611);
    expect([await set.verify(await set.valid()), set.state.hits]).toEqual(["accepted", 2]);
    at(642);
    expect([await set.verify(await set.valid()), set.state.hits]).toEqual(["accepted", 3]);
    at(3599);
    expect(await set.verify(await set.valid())).toBe("accepted");
    at(3601);
    // Signed now: only the key set's age can refuse it.
    expect(await set.verify(await set.valid())).toBe("ERR_JWKS_UNAVAILABLE");
    set.state.down = false;
    at(3632);
    expect(await set.verify(await set.valid())).toBe("accepted");
  });

  it("holds up no assertion its keys can verify while a slow refetch is under way", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
    const set = await keySet();
    expect(await set.verify(await set.valid())).toBe("accepted");
    at(601);
    const valid = await set.valid();
    const slow = set.stall();
    const refetching = set.verify(await set.valid());
    await slow.arrived;
    // Awaited while the refetch is still stalled: a verification it held up would never settle
    // before release(), and the test would time out. No wall-clock wait on the passing path.
    const answer = await set.verify(valid);
    slow.release();
    expect(answer).toBe("accepted");
    expect(await refetching).toBe("accepted");
  });
});

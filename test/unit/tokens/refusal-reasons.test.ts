import { generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyAccessToken } from "../../../src/tokens/access-token";
import { call, ISSUER, testConfig } from "../../support/workerd/helpers";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Valid access-token claims for the test worker; each case below breaks exactly one thing. */
const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: `${ISSUER}/auth`,
  sub: "1001",
  email: "ada@example.com",
  sid: "s",
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  ...overrides,
});

async function signed(payload: JWTPayload, header: { kid?: string; typ?: string } = {}, key?: CryptoKey) {
  const signing = (await testConfig()).sessionKeys!.signing;
  const protectedHeader = { alg: signing.alg, kid: signing.kid, typ: "session+jwt", ...header };
  return new SignJWT(payload).setProtectedHeader(protectedHeader).sign(key ?? signing.key);
}

/** Each failure, the token that shows it, and the code (and claim) jose gives it. */
const CASES = [
  {
    name: "an expired token",
    token: () => signed(claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 1 })),
    code: "ERR_JWT_EXPIRED",
  },
  {
    name: "a bad signature",
    token: async () => signed(claims(), {}, (await generateKeyPair("ES256")).privateKey),
    code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  },
  {
    name: "a wrong audience",
    token: () => signed(claims({ aud: "https://elsewhere.test/auth" })),
    code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
    claim: "aud",
  },
  {
    name: "a wrong typ",
    token: () => signed(claims(), { typ: "auth-assertion+jwt" }),
    code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
    claim: "typ",
  },
  { name: "an unknown kid", token: () => signed(claims(), { kid: "no-such-key" }), code: "ERR_JWKS_NO_MATCHING_KEY" },
  {
    name: "an iat that is not a number",
    // Our signer never writes one (its claims are typed); jose refuses it all the same.
    token: () => signed(claims({ iat: String(nowSeconds()) as unknown as number })),
    code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
    claim: "iat",
  },
  {
    name: "an iat in the future",
    token: () => signed(claims({ iat: nowSeconds() + 60 })),
    code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
    claim: "iat",
  },
] as const;

describe("a refused access token keeps its reason", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(CASES)("verifyAccessToken rejects $name with jose's code", async (failure) => {
    const config = await testConfig();
    const where = { publicOrigin: ISSUER, authPrefix: config.authPrefix };
    const verifying = verifyAccessToken(
      config.sessionKeys!,
      where,
      await failure.token(),
      nowSeconds(),
      config.accessTokenTtlSeconds,
    );
    await expect(verifying).rejects.toMatchObject({
      code: failure.code,
      ...("claim" in failure ? { claim: failure.claim } : {}),
    });
  });

  it.each(CASES)("the 401's log line names the reason for $name", async (failure) => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    const infos = vi.spyOn(console, "log").mockImplementation(() => {});
    const response = await call("/protected", { headers: { authorization: `Bearer ${await failure.token()}` } });
    expect(response.status).toBe(401);
    const lines = [...warnings.mock.calls, ...infos.mock.calls].map(
      (args) => JSON.parse(String(args[0])) as Record<string, unknown>,
    );
    const refusal = lines.find((line) => line.event === "request_refused");
    expect(refusal).toMatchObject({ code: "ERR_NO_SESSION" });
    expect(String(refusal?.cause)).toMatch(new RegExp(`^${failure.code}: `));
    if ("claim" in failure) expect(String(refusal?.cause)).toContain(`"${failure.claim}"`);
    // The wire still says nothing about why.
    expect(await response.text()).not.toContain(failure.code);
  });

  it("accepts the untouched token (so every refusal above is the one change's doing)", async () => {
    expect((await call("/protected", { headers: { authorization: `Bearer ${await signed(claims())}` } })).status).toBe(
      200,
    );
  });
});

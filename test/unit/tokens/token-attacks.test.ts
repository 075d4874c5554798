import { base64url, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { call, ISSUER, signedIn, testConfig, testEnv } from "../../support/workerd/helpers";

const b64 = (value: unknown) => base64url.encode(JSON.stringify(value));
const now = () => Math.floor(Date.now() / 1000);

/** Valid session claims for the test worker; each case breaks exactly one thing. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: `${ISSUER}/auth`,
    sub: "1001",
    email: "ada@example.com",
    sid: "s",
    iat: now(),
    exp: now() + 300,
    ...overrides,
  };
}

async function signWithOurKey(payload: JWTPayload, header: Record<string, unknown> = {}) {
  const { kid, alg, key } = (await testConfig()).sessionKeys!.signing;
  return new SignJWT(payload).setProtectedHeader({ alg, kid, typ: "session+jwt", ...header }).sign(key);
}

async function status(token: string, via: "cookie" | "bearer" = "bearer") {
  const headers: Record<string, string> =
    via === "cookie" ? { cookie: `__Host-access=${token}` } : { authorization: `Bearer ${token}` };
  return (await call("/protected", { headers })).status;
}

describe("our tokens under attack", () => {
  it("accepts the well-formed control token (so every refusal below is meaningful)", async () => {
    expect(await status(await signWithOurKey(claims()))).toBe(200);
    expect(await status(await signWithOurKey(claims()), "cookie")).toBe(200);
  });

  it.each(["none", "None", "NONE", "nOnE"])("refuses alg %s", async (alg) => {
    const token = `${b64({ alg, typ: "session+jwt", kid: JSON.parse(testEnv.SESSION_KEYS).keys[0].kid })}.${b64(claims())}.`;
    expect(await status(token)).toBe(401);
  });

  it("refuses HS256 signed with our public key as the HMAC secret (algorithm confusion)", async () => {
    const publicJwk = (await testConfig()).sessionKeys!.publicJwks.keys[0]!;
    for (const secret of [JSON.stringify(publicJwk), publicJwk.x, `${publicJwk.x}${publicJwk.y}`]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: publicJwk.kid, typ: "session+jwt" })
        .sign(new TextEncoder().encode(secret));
      expect(await status(token)).toBe(401);
    }
  });

  it("refuses a header alg that does not match the key's pinned alg", async () => {
    const good = await signWithOurKey(claims());
    const [, payload, signature] = good.split(".");
    const kid = JSON.parse(testEnv.SESSION_KEYS).keys[0].kid;
    expect(await status(`${b64({ alg: "ES384", kid, typ: "session+jwt" })}.${payload}.${signature}`)).toBe(401);
    expect(await status(`${b64({ alg: "EdDSA", kid, typ: "session+jwt" })}.${payload}.${signature}`)).toBe(401);
  });

  it.each(["unknown", "../../../etc/passwd", "' OR 1=1 --", "x".repeat(3000), ""])("refuses kid %j", async (kid) => {
    const { alg, key } = (await testConfig()).sessionKeys!.signing;
    const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid, typ: "session+jwt" }).sign(key);
    expect(await status(token)).toBe(401);
  });

  it("ignores jku, x5u, an embedded jwk and x5c: a token signed by the attacker's own key is refused", async () => {
    const attacker = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    const kid = JSON.parse(testEnv.SESSION_KEYS).keys[0].kid;
    for (const extra of [
      { jku: "https://evil.example/jwks" },
      { x5u: "https://evil.example/cert" },
      { jwk },
      { x5c: ["MIIB"] },
    ]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "ES256", kid, typ: "session+jwt", ...extra })
        .sign(attacker.privateKey);
      expect(await status(token)).toBe(401);
    }
  });

  it("refuses an unknown critical header", async () => {
    // jose will not even sign this, so sign the bytes with WebCrypto directly (ES256 = P1363 r||s).
    const { kid, key } = (await testConfig()).sessionKeys!.signing;
    const input = `${b64({ alg: "ES256", kid, typ: "session+jwt", crit: ["x-unknown"], "x-unknown": 1 })}.${b64(claims())}`;
    const signature = await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      key,
      new TextEncoder().encode(input),
    );
    expect(await status(`${input}.${base64url.encode(new Uint8Array(signature))}`)).toBe(401);
  });

  it("refuses the all-zero ECDSA signature (CVE-2022-21449)", async () => {
    const [header, payload] = (await signWithOurKey(claims())).split(".");
    expect(await status(`${header}.${payload}.${base64url.encode(new Uint8Array(64))}`)).toBe(401);
  });

  it.each([
    ["expired", { iat: now() - 1000, exp: now() - 100 }],
    ["not yet valid (nbf)", { nbf: now() + 600 }],
    ["issued in the future", { iat: now() + 600, exp: now() + 900 }],
    ["absurd exp", { exp: now() + 10 * 365 * 86400 }],
    ["wrong iss", { iss: "https://evil.example" }],
    ["wrong aud", { aud: "https://app.test" }],
    ["no sub", { sub: undefined }],
    ["no sid", { sid: undefined }],
  ] as const)("refuses a token that is %s", async (_name, overrides) => {
    expect(await status(await signWithOurKey(claims(overrides as JWTPayload)))).toBe(401);
  });

  it("refuses a wrong typ, a tampered, truncated or oversized token", async () => {
    expect(await status(await signWithOurKey(claims(), { typ: "JWT" }))).toBe(401);
    const good = await signWithOurKey(claims());
    const [header, , signature] = good.split(".");
    expect(await status(`${header}.${b64({ ...decodeJwt(good), sub: "admin" })}.${signature}`)).toBe(401);
    expect(await status(good.slice(0, -10))).toBe(401);
    expect(await status(good.split(".").slice(0, 2).join("."))).toBe(401);
    expect(await status(`${good}${"A".repeat(5000)}`)).toBe(401);
  });

  it("refuses a refresh token, or a token signed by someone else, as a session", async () => {
    const { refresh } = await signedIn();
    expect(await status(refresh)).toBe(401);
    const provider = await generateKeyPair("RS256");
    const idToken = await new SignJWT({ email: "ada@example.com", email_verified: true })
      .setProtectedHeader({ alg: "RS256", kid: "google" })
      .setIssuer("https://accounts.google.com")
      .setAudience("unit-client")
      .setSubject("1001")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(provider.privateKey);
    expect(await status(idToken)).toBe(401);
  });

  it("refuses look-alike and duplicated cookie names", async () => {
    const good = await signWithOurKey(claims());
    expect((await call("/protected", { headers: { cookie: `__host-access=${good}` } })).status).toBe(401);
    expect((await call("/protected", { headers: { cookie: `__Host-Access=${good}` } })).status).toBe(401);
    expect(
      (await call("/protected", { headers: { cookie: `__Host-access=${good}; __Host-access=${good}` } })).status,
    ).toBe(401);
    expect((await call("/protected", { headers: { cookie: `=${good}` } })).status).toBe(401);
  });
});

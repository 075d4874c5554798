import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { accessTokenFor, ada, call, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * Our access JWT never reaches the origin, whether it authenticated the request or not:
 * on a public path, when it had expired (the cookie or the refresh cookie carried the request),
 * when the cookie won over it. Anybody else's bearer token is the origin's business and passes.
 */

async function originSees(path: string, headers: Record<string, string>): Promise<Echo["headers"]> {
  const response = await call(path, { headers });
  expect(response.status, path).toBe(200);
  return ((await response.json()) as Echo).headers;
}

async function expiredAccessToken() {
  const { config, issued } = await signedIn();
  const iat = Math.floor(Date.now() / 1000) - 2 * config.accessTokenTtlSeconds;
  return accessTokenFor(config, ada, issued.familyId, iat);
}

/** A JWT that is not ours: another issuer's key, a plain `typ`. */
async function foreignJwt(): Promise<string> {
  const { privateKey } = await generateKeyPair("ES256");
  return new SignJWT({ scope: "read" })
    .setProtectedHeader({ alg: "ES256", typ: "JWT" })
    .setIssuer("https://idp.example")
    .setAudience("api")
    .setExpirationTime("5m")
    .sign(privateKey);
}

describe("our access token is removed from Authorization", () => {
  it("on a public path, valid or expired", async () => {
    const { access } = await signedIn();
    expect((await originSees("/public/x", { authorization: `Bearer ${access}` })).authorization).toBeUndefined();
    expect(
      (await originSees("/public/x", { authorization: `Bearer ${await expiredAccessToken()}` })).authorization,
    ).toBeUndefined();
  });

  it("when it had expired and the access cookie carried the request", async () => {
    const { cookie } = await signedIn();
    const headers = await originSees("/a", { cookie, authorization: `Bearer ${await expiredAccessToken()}` });
    expect(headers.authorization).toBeUndefined();
    expect(headers["x-auth-user-sub"]).toBe("1001");
  });

  it("when it had expired and the refresh cookie carried the request", async () => {
    const { refresh } = await signedIn();
    const headers = await originSees("/a", {
      cookie: `__Host-refresh=${refresh}`,
      authorization: `Bearer ${await expiredAccessToken()}`,
    });
    expect(headers.authorization).toBeUndefined();
    expect(headers["x-auth-user-email"]).toBe("ada@example.com");
  });

  it("when the cookie won over a valid one", async () => {
    const { cookie, access } = await signedIn();
    expect((await originSees("/a", { cookie, authorization: `Bearer ${access}` })).authorization).toBeUndefined();
  });

  it("under another spelling of the scheme, or another scheme", async () => {
    const { access } = await signedIn();
    for (const authorization of [
      `bearer ${access}`,
      `BEARER   ${access}`,
      `DPoP ${access}`,
      `Bearer ${access}, Basic Zm9vOmJhcg==`,
    ]) {
      expect((await originSees("/public/x", { authorization })).authorization, authorization).toBeUndefined();
    }
  });

  it("and an expired one alone is no session: nothing reaches the origin", async () => {
    const response = await call("/a", { headers: { authorization: `Bearer ${await expiredAccessToken()}` } });
    expect(response.status).toBe(401);
    expect(await response.json()).not.toHaveProperty("headers");
  });
});

describe("other credentials in Authorization pass through", () => {
  it("on a public path", async () => {
    const jwt = await foreignJwt();
    for (const authorization of [`Bearer ${jwt}`, "Bearer opaque-token-123", "Basic Zm9vOmJhcg=="]) {
      expect((await originSees("/public/x", { authorization })).authorization).toBe(authorization);
    }
  });

  it("on a protected path, next to our cookie", async () => {
    const { cookie } = await signedIn();
    const authorization = `Bearer ${await foreignJwt()}`;
    const headers = await originSees("/api/x", { cookie, authorization });
    expect(headers.authorization).toBe(authorization);
    expect(headers["x-auth-user-sub"]).toBe("1001");
  });
});

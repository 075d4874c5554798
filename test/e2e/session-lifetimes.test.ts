import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  // No grace period: a replay is past it at once, so nothing here waits for the worker's clock.
  stack = await startStack({ vars: { REFRESH_REUSE_GRACE: "0" } });
});
afterAll(() => stack?.close());

/**
 * The access token as the worker would have issued it `ageSeconds` ago: the same claims, `iat` and
 * `exp` moved back by that much, signed with the stack's SESSION_KEYS. The worker's clock cannot be
 * moved from outside, so the token is moved instead.
 */
async function agedAccessToken(token: string, ageSeconds: number): Promise<string> {
  const header = decodeProtectedHeader(token);
  const claims = decodeJwt(token);
  const jwk = stack.sessionKeys.keys.find((key) => key.kid === header.kid) as JWK | undefined;
  if (!jwk) throw new Error(`the access token names a key (${header.kid}) the stack does not have`);
  return new SignJWT({ ...claims, iat: claims.iat! - ageSeconds, exp: claims.exp! - ageSeconds })
    .setProtectedHeader({ alg: header.alg!, kid: header.kid!, typ: header.typ! })
    .sign(await importJWK(jwk, header.alg));
}

describe("lifetimes over HTTP", () => {
  it("an expired access token is refused at once, and the refresh cookie renews the session", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "short@example.com");
    const access = browser.jar.get(stack.workerUrl, "__Host-access")!;
    const refresh = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const { iat, exp } = decodeJwt(access);
    // One second past its expiry, as a token kept that long would be.
    const expired = await agedAccessToken(access, exp! - iat! + 1);
    const valid = await fetch(`${stack.workerUrl}/api/x`, { headers: { cookie: `__Host-access=${access}` } });
    expect(valid.status).toBe(200);
    const refused = await fetch(`${stack.workerUrl}/api/x`, { headers: { cookie: `__Host-access=${expired}` } });
    expect(refused.status).toBe(401);
    const renewed = await fetch(`${stack.workerUrl}/api/x`, {
      headers: { cookie: `__Host-access=${expired}; __Host-refresh=${refresh}` },
    });
    expect(renewed.status).toBe(200);
    expect(
      renewed.headers
        .getSetCookie()
        .some((cookie) => cookie.startsWith("__Host-refresh=") && !cookie.includes(refresh)),
    ).toBe(true);
  });

  it("a rotated refresh token replayed after the grace period revokes the family, newest token included", async () => {
    const browser = new Browser();
    await browser.signIn(`${stack.workerUrl}/`, "replay@example.com");
    const first = browser.jar.get(stack.workerUrl, "__Host-refresh")!;
    const rotated = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${first}` },
    });
    expect(rotated.status).toBe(204);
    const newest = rotated.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith("__Host-refresh="))!
      .split(";")[0]!
      .split("=")[1]!;
    const replay = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${first}` },
    });
    expect(replay.status).toBe(401);
    const afterTheft = await fetch(`${stack.workerUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${newest}` },
    });
    expect(afterTheft.status).toBe(401);
  });
});

import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../../scripts/keys.mjs";
import { verifiedAccessToken } from "../../../src/tokens/access-token";
import { BoundedCache } from "../../../src/util/bounded-cache";
import { accessTokenFor, ada, callWith, ISSUER, newPerson, signedIn, testConfig } from "../../support/workerd/helpers";

describe("per-isolate caches stay correct", () => {
  it("a cached verified token still expires", async () => {
    const config = await testConfig();
    const iat = Math.floor(Date.now() / 1000);
    const token = await accessTokenFor(config, ada, "sid", iat);
    expect(await verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, iat)).toBeDefined();
    expect(await verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, iat + 1)).toBeDefined();
    expect(
      await verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, iat + config.accessTokenTtlSeconds - 1),
    ).toBeDefined();
    await expect(
      verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, iat + config.accessTokenTtlSeconds),
    ).rejects.toMatchObject({
      code: "ERR_JWT_EXPIRED",
    });
  });

  it("a cached token is not valid for another issuer", async () => {
    const config = await testConfig();
    const iat = Math.floor(Date.now() / 1000);
    const token = await accessTokenFor(config, ada, "sid", iat);
    expect(await verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, iat)).toBeDefined();
    await expect(
      verifiedAccessToken(config, config.sessionKeys!, "https://other.test", token, iat),
    ).rejects.toMatchObject({
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      claim: "iss",
    });
  });

  it("retiring a key drops tokens it signed, even ones verified (and cached) before", async () => {
    const { access } = await signedIn();
    expect((await callWith({}, "/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(200);
    const retired = { SESSION_KEYS: JSON.stringify(await generateKeySet("ES256")) };
    expect((await callWith(retired, "/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(401);
  });

  it("the bounded cache never grows past its capacity and drops the oldest first", () => {
    const cache = new BoundedCache<number>(3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i, 100);
    expect(cache.size).toBe(3);
    expect(cache.get("k0", 0)).toBeUndefined();
    expect(cache.get("k9", 0)).toBe(9);
    expect(cache.get("k9", 100)).toBeUndefined();
  });
});

describe("origin assertion reuse", () => {
  it("reuses an assertion for at most a minute, then signs a fresh one with at least 4 minutes left", async () => {
    const { originAssertionFor, ASSERTION_REUSE_SECONDS } = await import("../../../src/tokens/origin-assertion");
    const { decodeJwt } = await import("jose");
    const config = await testConfig();
    // Someone whose assertion no other test (or file: the cache lives as long as the isolate) has asked for.
    const person = newPerson();
    const t = Math.floor(Date.now() / 1000);
    const first = await originAssertionFor(config, config.sessionKeys!, ISSUER, person, t);
    expect(await originAssertionFor(config, config.sessionKeys!, ISSUER, person, t + ASSERTION_REUSE_SECONDS - 1)).toBe(
      first,
    );
    const later = await originAssertionFor(config, config.sessionKeys!, ISSUER, person, t + ASSERTION_REUSE_SECONDS);
    expect(later).not.toBe(first);
    expect(decodeJwt(later).exp! - (t + ASSERTION_REUSE_SECONDS)).toBeGreaterThanOrEqual(240);
    expect(
      await originAssertionFor(config, config.sessionKeys!, ISSUER, { ...person, email: "other@example.com" }, t),
    ).not.toBe(first);
  });
});

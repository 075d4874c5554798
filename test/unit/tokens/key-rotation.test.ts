import { decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { generateKeySet } from "../../../scripts/keys.mjs";
import { callWith, cookieValue, setCookies, signedIn, testEnv } from "../../support/workerd/helpers";

const currentKeys = () => JSON.parse(testEnv.SESSION_KEYS).keys as { kid: string }[];

describe("signing-key rotation", () => {
  it("after rotating a new key in, old tokens still verify, new ones use the new key, both are published", async () => {
    const { cookie, refresh } = await signedIn();
    const fresh = (await generateKeySet("EdDSA")).keys[0]!;
    const rotated = { SESSION_KEYS: JSON.stringify({ keys: [fresh, ...currentKeys()] }) };

    expect((await callWith(rotated, "/a", { headers: { cookie } })).status).toBe(200);
    const jwks = (await (await callWith(rotated, "/.well-known/jwks.json")).json()) as {
      keys: { kid: string; alg: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([fresh.kid, currentKeys()[0]!.kid]);
    expect(jwks.keys[0]!.alg).toBe("EdDSA");

    const refreshed = await callWith(rotated, "/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${refresh}` },
    });
    const access = cookieValue(setCookies(refreshed).get("__Host-access"))!;
    expect(decodeProtectedHeader(access)).toMatchObject({ kid: fresh.kid, alg: "EdDSA" });
  });

  it("after retiring a key, its tokens are refused but the session's refresh cookie yields a session under the new key", async () => {
    const { access, refresh } = await signedIn();
    const fresh = (await generateKeySet("ES256")).keys[0]!;
    const retired = { SESSION_KEYS: JSON.stringify({ keys: [fresh] }) };
    expect((await callWith(retired, "/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(401);
    const response = await callWith(retired, "/a", {
      headers: { cookie: `__Host-access=${access}; __Host-refresh=${refresh}` },
    });
    expect(response.status).toBe(200);
    expect(decodeProtectedHeader(cookieValue(setCookies(response).get("__Host-access"))!).kid).toBe(fresh.kid);
  });
});

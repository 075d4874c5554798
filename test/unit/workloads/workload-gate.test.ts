import { base64url, createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  fakeWorkloadIssuer,
  WORKLOAD_CLAIMS,
  type FakeWorkloadIssuer,
} from "../../support/workerd/fake-workload-issuer";
import { call, callWith, setCookies, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * TRUSTED_WORKLOADS at the gate, inside workerd with the clock moved instead of waited for: a
 * machine caller's own OIDC token as `Authorization: Bearer`, admitted only where a rule names it.
 */
const ISSUER = "https://workloads.test";
const WORKLOADS = JSON.stringify({
  "ci-main": {
    issuer: ISSUER,
    audience: "https://app.test",
    claims: { repository: "org/app", ref: "refs/heads/main" },
  },
  deployer: {
    issuer: ISSUER,
    audience: "https://app.test",
    claims: { email: "deployer@project.iam.gserviceaccount.com" },
  },
});
const POLICY = JSON.stringify([
  { path: "/api/deploy", methods: ["POST"], allow: { workloads: ["ci-main"], emails: ["ada@example.com"] } },
  { path: "/api/reports/*", allow: { workloads: ["ci-main", "deployer"] } },
]);
const bindings = { TRUSTED_WORKLOADS: WORKLOADS, ACCESS_POLICY: POLICY };
const asWorkload = (token: string, path: string, init: RequestInit = {}) =>
  callWith(bindings, path, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
  });
/** A Google service account's token: its e-mail, verified, and none of the GitHub claims. */
const serviceAccountClaims = (sub: string) => ({
  sub,
  email: "deployer@project.iam.gserviceaccount.com",
  email_verified: true,
  repository: undefined,
  ref: undefined,
});

let issuer: FakeWorkloadIssuer;
beforeAll(async () => {
  issuer = await fakeWorkloadIssuer(ISSUER);
});
afterAll(() => vi.restoreAllMocks());
beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());

/** The worker's own cookies on a response (the origin's may pass; ours never, for a workload). */
const ourCookies = (response: Response) =>
  [...setCookies(response).keys()].filter((name) => name.startsWith("__Host-"));

describe("a trusted workload", () => {
  it("reaches a path its rule names, as itself: sub, workload name, a signed assertion saying so, and its token not forwarded", async () => {
    const response = await asWorkload(await issuer.token(), "/api/deploy", { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect([echo.method, echo.path]).toEqual(["POST", "/api/deploy"]);
    expect(echo.headers["x-auth-user-sub"]).toBe(WORKLOAD_CLAIMS.sub);
    expect(echo.headers["x-auth-workload"]).toBe("ci-main");
    expect(echo.headers["x-auth-user-email"]).toBeUndefined();
    expect(echo.headers.authorization).toBeUndefined();
    expect(ourCookies(response)).toEqual([]);
    const jwks = createLocalJWKSet(await (await call("/.well-known/jwks.json")).json());
    const { payload } = await jwtVerify(echo.headers["x-auth-assertion"]!, jwks, {
      issuer: "https://app.test",
      audience: "http://origin.test",
      typ: "auth-assertion+jwt",
    });
    expect(payload).toMatchObject({ sub: WORKLOAD_CLAIMS.sub, workload: "ci-main" });
    expect(payload.email).toBeUndefined();
  });

  it("does not hand its token to the origin on a public path either", async () => {
    const response = await asWorkload(await issuer.token(), "/public/x");
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers["x-auth-workload"]).toBeUndefined();
  });

  it("is told apart from a person with the same sub and e-mail: its own assertion, with its workload claim; a person's X-Auth-Workload is stripped", async () => {
    const claims = serviceAccountClaims("1001");
    const person = await signedIn({
      provider: "default",
      sub: "1001",
      email: "deployer@project.iam.gserviceaccount.com",
    });
    const personEcho = (await (
      await callWith({ ...bindings, ALLOWED_EMAILS: "deployer@project.iam.gserviceaccount.com" }, "/anything", {
        headers: { cookie: person.cookie, "X-Auth-Workload": "deployer" },
      })
    ).json()) as Echo;
    const workloadEcho = (await (await asWorkload(await issuer.token(claims), "/api/reports/q3")).json()) as Echo;
    expect(workloadEcho.headers["x-auth-workload"]).toBe("deployer");
    expect(workloadEcho.headers["x-auth-user-email"]).toBe("deployer@project.iam.gserviceaccount.com");
    const decode = (jwt: string) =>
      JSON.parse(new TextDecoder().decode(base64url.decode(jwt.split(".")[1]!))) as Record<string, unknown>;
    expect(decode(workloadEcho.headers["x-auth-assertion"]!).workload).toBe("deployer");
    expect(decode(personEcho.headers["x-auth-assertion"]!).workload).toBeUndefined();
    // A person cannot claim to be a workload: a client's X-Auth-Workload is stripped like every X-Auth-*.
    expect(personEcho.headers["x-auth-workload"]).toBeUndefined();
  });

  it("gets 403 on a path no rule names it for, the default rule's included, and the origin nothing", async () => {
    const token = await issuer.token();
    for (const [path, method] of [
      ["/api/deploy", "GET"],
      ["/anything", "GET"],
      ["/API/deploy", "POST"],
    ] as const) {
      const response = await asWorkload(token, path, { method, ...(method === "POST" ? { body: "{}" } : {}) });
      expect([path, method, response.status]).toEqual([path, method, 403]);
      // Said to a machine: no account to sign out of, but a rule that does not name it.
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe("forbidden");
      expect(body.message).toMatch(/workload/i);
      expect(body.message).not.toMatch(/sign|account/i);
    }
    // deployer is named on /api/reports/* only.
    const deployer = await issuer.token(serviceAccountClaims("112233"));
    expect((await asWorkload(deployer, "/api/reports/q3")).status).toBe(200);
    expect((await asWorkload(deployer, "/api/deploy", { method: "POST", body: "{}" })).status).toBe(403);
  });

  it("never becomes a person: /auth/me and /auth/refresh answer 401, and a refresh cookie beside its token is not rotated", async () => {
    const token = await issuer.token();
    expect((await asWorkload(token, "/auth/me")).status).toBe(401);
    expect((await asWorkload(token, "/auth/refresh", { method: "POST" })).status).toBe(401);
    const { refresh } = await signedIn();
    const response = await asWorkload(token, "/api/reports/q3", { headers: { cookie: `__Host-refresh=${refresh}` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).headers["x-auth-workload"]).toBe("ci-main");
    expect(ourCookies(response)).toEqual([]);
  });
});

describe("a workload token that fails a check gets 401 invalid_token, whatever the path", () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>][] = [
    ["another audience", () => issuer.token({ aud: "https://elsewhere.test" })],
    ["another repository", () => issuer.token({ repository: "org/fork" })],
    ["the right repository inside an array", () => issuer.token({ repository: ["org/app"] })],
    [
      "expired (beyond 30 s of clock tolerance)",
      () => issuer.token({ iat: nowSeconds() - 400, exp: nowSeconds() - 31 }),
    ],
    ["not valid yet", () => issuer.token({ nbf: nowSeconds() + 120 })],
    ["issued in the future", () => issuer.token({ iat: nowSeconds() + 120, exp: nowSeconds() + 400 })],
    ["living longer than a day", () => issuer.token({ exp: nowSeconds() + 2 * 86_400 })],
    ["without sub", () => issuer.token({ sub: undefined })],
    [
      'an e-mail workload whose e-mail is verified only as the string "true"',
      () => issuer.token({ ...serviceAccountClaims("112233"), email_verified: "true" }),
    ],
    ["a kid the issuer never published", () => issuer.token({}, { kid: "made-up" })],
    [
      "HS256, keyed with the issuer's published key",
      async () => {
        const jwk = (await (await fetch(`${ISSUER}/jwks`)).json()) as { keys: { n: string }[] };
        return new SignJWT({ ...WORKLOAD_CLAIMS, iss: ISSUER, aud: "https://app.test" })
          .setProtectedHeader({ alg: "HS256", kid: "w-1" })
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(new TextEncoder().encode(jwk.keys[0]!.n));
      },
    ],
    [
      "alg none",
      async () => {
        const part = (value: object) => base64url.encode(JSON.stringify(value));
        return `${part({ alg: "none", typ: "JWT" })}.${part({ ...WORKLOAD_CLAIMS, iss: ISSUER, aud: "https://app.test", iat: nowSeconds(), exp: nowSeconds() + 300 })}.`;
      },
    ],
    ["a forged signature", async () => `${(await issuer.token()).slice(0, -8)}AAAAAAAA`],
  ];

  it.each(cases)("%s", async (_name, make) => {
    const response = await asWorkload(await make(), "/api/reports/q3");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="edge-auth", error="invalid_token"');
    expect(await response.json()).toMatchObject({ error: "invalid_token" });
    expect(ourCookies(response)).toEqual([]);
  });

  it("a token of an issuer TRUSTED_WORKLOADS does not name is no workload's: 401 like no session, and nothing is fetched for it", async () => {
    const before = { ...issuer.hits };
    const token = await issuer.token({ iss: "https://unknown-issuer.test" });
    const response = await asWorkload(token, "/api/reports/q3");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="edge-auth"');
    expect(issuer.hits).toEqual(before);
  });
});

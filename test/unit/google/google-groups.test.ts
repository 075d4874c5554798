import { decodeJwt, exportPKCS8, generateKeyPair, importSPKI, exportSPKI, jwtVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseGroupDirectory, type GroupDirectory } from "../../../src/config/google-groups";
import type { Env } from "../../../src/env";
import { policyGroupsOf } from "../../../src/google/directory-groups";
import { DIRECTORY_SCOPE, directoryAccessToken } from "../../../src/google/service-account-token";
import { callWith, signedIn, testEnv } from "../../support/workerd/helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * Google's token endpoint and Directory API are outside this machine: here a fetch stand-in
 * that checks the service account's JWT as Google does (the e2e tests use a real fake server).
 */
async function fakeGoogle(clientEmail: string, members: Record<string, string[]>) {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const verifyKey = await importSPKI(await exportSPKI(publicKey), "RS256");
  const calls = { token: 0, hasMember: [] as string[] };
  let issued = 0;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.href === "https://oauth2.googleapis.com/token") {
      calls.token++;
      const form = await request.formData();
      const { payload } = await jwtVerify(String(form.get("assertion")), verifyKey, {
        issuer: clientEmail,
        audience: url.href,
      });
      expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
      expect([...form.keys()].sort()).toEqual(["assertion", "grant_type"]);
      expect(payload.scope).toBe(DIRECTORY_SCOPE);
      return Response.json({ access_token: `token-${++issued}`, expires_in: 3600, token_type: "Bearer" });
    }
    const match = /^\/admin\/directory\/v1\/groups\/([^/]+)\/hasMember\/([^/]+)$/.exec(url.pathname);
    if (match && request.headers.get("authorization")?.startsWith("Bearer token-")) {
      const [group, member] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
      calls.hasMember.push(group);
      if (!members[group]) return Response.json({ error: { code: 404 } }, { status: 404 });
      return Response.json({ kind: "admin#directory#isMember", isMember: members[group].includes(member) });
    }
    return new Response("unexpected", { status: 500 });
  });
  const env = {
    ...testEnv,
    GOOGLE_GROUPS_CREDENTIALS: JSON.stringify({
      type: "service_account",
      client_email: clientEmail,
      private_key: await exportPKCS8(privateKey),
      private_key_id: "k1",
    }),
  } as Env;
  const problems: string[] = [];
  const directory = (await parseGroupDirectory(env, problems)) as GroupDirectory;
  expect(problems).toEqual([]);
  return { directory, calls };
}

describe("the directory's access token", () => {
  it("is cached until a minute before it expires, then renewed; concurrent lookups share one exchange", async () => {
    const { directory, calls } = await fakeGoogle("cache@p.iam.gserviceaccount.com", {});
    const start = Date.now();
    const [a, b] = await Promise.all([directoryAccessToken(directory, start), directoryAccessToken(directory, start)]);
    expect([a, b, calls.token]).toEqual(["token-1", "token-1", 1]);
    expect(await directoryAccessToken(directory, start + (3600 - 61) * 1000)).toBe("token-1");
    expect(await directoryAccessToken(directory, start + (3600 - 60) * 1000)).toBe("token-2");
    expect(calls.token).toBe(2);
  });

  it("never keeps a failure", async () => {
    const { directory, calls } = await fakeGoogle("failure@p.iam.gserviceaccount.com", {});
    const real = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementationOnce(async () =>
      Response.json({ error: "invalid_grant" }, { status: 400 }),
    );
    await expect(directoryAccessToken(directory, Date.now())).rejects.toMatchObject({
      code: "ERR_DIRECTORY_UNAVAILABLE",
      detail: expect.stringContaining("HTTP 400 invalid_grant"),
    });
    vi.mocked(globalThis.fetch).mockImplementation(real);
    expect(await directoryAccessToken(directory, Date.now())).toMatch(/^token-/);
    expect(calls.token).toBe(1);
  });

  it("acts as GOOGLE_GROUPS_ADMIN when set (domain-wide delegation: its `sub`), else as the service account itself (no `sub`)", async () => {
    const { directory } = await fakeGoogle("who@p.iam.gserviceaccount.com", {});
    const sent: string[] = [];
    const real = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      sent.push(String(decodeJwt(new URLSearchParams(String(init?.body)).get("assertion")!).sub));
      return real(input, init);
    });
    await directoryAccessToken(directory, Date.now());
    await directoryAccessToken({ ...directory, adminEmail: "admin@corp.test" }, Date.now());
    expect(sent).toEqual(["undefined", "admin@corp.test"]);
  });
});

describe("membership lookups", () => {
  it("asks only about the policy's groups and keeps those the person is in; an unknown group is a no", async () => {
    const { directory, calls } = await fakeGoogle("lookup@p.iam.gserviceaccount.com", {
      "eng@corp.test": ["ada@corp.test"],
      "ops@corp.test": [],
    });
    const found = await policyGroupsOf(
      directory,
      ["eng@corp.test", "ops@corp.test", "typo@corp.test"],
      "ada@corp.test",
      Date.now(),
    );
    expect(found).toEqual(["eng@corp.test"]);
    expect(calls.hasMember.sort()).toEqual(["eng@corp.test", "ops@corp.test", "typo@corp.test"]);
  });

  it("fails closed on a directory error instead of guessing", async () => {
    const { directory } = await fakeGoogle("down@p.iam.gserviceaccount.com", { "eng@corp.test": ["ada@corp.test"] });
    await directoryAccessToken(directory, Date.now());
    vi.mocked(globalThis.fetch).mockImplementation(async () => new Response("backend error", { status: 503 }));
    await expect(policyGroupsOf(directory, ["eng@corp.test"], "ada@corp.test", Date.now())).rejects.toMatchObject({
      code: "ERR_DIRECTORY_UNAVAILABLE",
      detail: "hasMember: HTTP 503",
    });
  });
});

describe("groups on the way to the origin", () => {
  it("sends X-Auth-User-Groups and the assertion's groups from the session, never a client's", async () => {
    const { cookie } = await signedIn({
      provider: "default",
      sub: "1001",
      email: "ada@example.com",
      groups: ["eng@corp.test", "ops@corp.test"],
    });
    const response = await callWith({}, "/x", {
      headers: { cookie, "X-Auth-User-Groups": "admins@corp.test", x_auth_user_groups: "admins@corp.test" },
    });
    const echo = (await response.json()) as { headers: Record<string, string> };
    expect(echo.headers["x-auth-user-groups"]).toBe("eng@corp.test,ops@corp.test");
    expect(echo.headers.x_auth_user_groups).toBeUndefined();
    expect(decodeJwt(echo.headers["x-auth-assertion"]!).groups).toEqual(["eng@corp.test", "ops@corp.test"]);
  });

  it("sends no groups header for a person without policy groups, and strips a client's", async () => {
    const { cookie } = await signedIn();
    const response = await callWith({}, "/x", { headers: { cookie, "X-Auth-User-Groups": "admins@corp.test" } });
    const echo = (await response.json()) as { headers: Record<string, string> };
    expect(echo.headers["x-auth-user-groups"]).toBeUndefined();
    expect(decodeJwt(echo.headers["x-auth-assertion"]!)).not.toHaveProperty("groups");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * ACCESS_POLICY over real HTTP: the local provider signs anyone in (ALLOWED_DOMAINS=*), and the
 * policy decides per path, most specific rule first.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    vars: {
      ACCESS_POLICY: JSON.stringify([
        { path: "/admin/*", allow: { emails: ["boss@corp.test"] } },
        { path: "/admin/help", allow: { domains: ["corp.test"] } },
        { path: "/admin/status", public: true },
        { path: "/api/deploy", methods: ["POST"], allow: { emails: ["boss@corp.test"] } },
      ]),
    },
  });
});
afterAll(() => stack?.close());

async function signedInAs(email: string): Promise<Browser> {
  const browser = new Browser();
  const { response } = await browser.signIn(`${stack.workerUrl}/`, email);
  expect(response.status).toBe(200);
  return browser;
}

describe("a path open to one person and closed to another", () => {
  it("lets the person the rule names in, with identity", async () => {
    const boss = await signedInAs("boss@corp.test");
    const before = stack.originRequests.length;
    const { response } = await boss.navigate(`${stack.workerUrl}/admin/users`);
    expect(response.status).toBe(200);
    expect(
      stack.originRequests.slice(before).map((request) => [request.url, request.headers["x-auth-user-email"]]),
    ).toEqual([["/admin/users", "boss@corp.test"]]);
  });

  it("shows anyone else the 403 page naming their account, sends the origin nothing, and keeps their session", async () => {
    const clerk = await signedInAs("clerk@corp.test");
    const before = stack.originRequests.length;
    const { response } = await clerk.navigate(`${stack.workerUrl}/admin/users`);
    expect(response.status).toBe(403);
    const page = await response.text();
    expect(page).toContain("clerk@corp.test");
    expect(page).toContain("This account may not see this page.");
    const api = await clerk.request(`${stack.workerUrl}/admin/users`, { headers: { accept: "application/json" } });
    expect(api.status).toBe(403);
    expect(await api.json()).toMatchObject({ error: "forbidden" });
    expect(stack.originRequests.length).toBe(before);
    expect((await clerk.navigate(`${stack.workerUrl}/anything`)).response.status).toBe(200);
  });

  it("lets the most specific rule decide on overlapping patterns", async () => {
    const clerk = await signedInAs("clerk@corp.test");
    const outsider = await signedInAs("guest@elsewhere.test");
    // /admin/help (exact) admits the whole domain though /admin/* does not.
    expect((await clerk.navigate(`${stack.workerUrl}/admin/help`)).response.status).toBe(200);
    expect((await outsider.navigate(`${stack.workerUrl}/admin/help`)).response.status).toBe(403);
    // /admin/status (exact, public) needs no session at all.
    expect((await fetch(`${stack.workerUrl}/admin/status`)).status).toBe(200);
    // A spelling the origin may read as /admin/... still needs the /admin/* rule.
    expect(
      (await clerk.request(`${stack.workerUrl}/ADMIN/users`, { headers: { accept: "application/json" } })).status,
    ).toBe(403);
    expect(
      (await clerk.request(`${stack.workerUrl}/%61dmin/users`, { headers: { accept: "application/json" } })).status,
    ).toBe(403);
  });

  it("decides by method where a rule names methods", async () => {
    const clerk = await signedInAs("clerk@corp.test");
    const boss = await signedInAs("boss@corp.test");
    const post = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };
    expect((await clerk.request(`${stack.workerUrl}/api/deploy`, post)).status).toBe(403);
    expect((await boss.request(`${stack.workerUrl}/api/deploy`, post)).status).toBe(200);
    expect((await clerk.request(`${stack.workerUrl}/api/deploy`)).status).toBe(200);
  });
});

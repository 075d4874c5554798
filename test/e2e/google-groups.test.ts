import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * Google Workspace groups over real HTTP: the worker's service account signs a JWT, exchanges
 * it at the fake token endpoint and asks the fake Directory API (members.hasMember) about the
 * policy's groups only, at sign-in and at each refresh.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    vars: {
      ACCESS_POLICY: JSON.stringify([
        { path: "/eng/*", allow: { groups: ["eng@corp.test"] } },
        { path: "/sales/*", allow: { groups: ["sales@corp.test"] } },
      ]),
    },
    groups: {
      "eng@corp.test": ["ada@corp.test", "leads@corp.test", "guest@gmail.com"],
      "leads@corp.test": ["lead@corp.test"],
      "sales@corp.test": ["sam@corp.test"],
      // Not in the policy: never asked about, never sent on.
      "everyone@corp.test": ["ada@corp.test", "bob@corp.test"],
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

function lastOriginRequest() {
  return stack.originRequests[stack.originRequests.length - 1]!;
}

describe("group rules", () => {
  it("a path open to one group and closed to another person; the origin gets only policy groups", async () => {
    const ada = await signedInAs("ada@corp.test");
    expect((await ada.navigate(`${stack.workerUrl}/eng/roadmap`)).response.status).toBe(200);
    const received = lastOriginRequest();
    expect(received.url).toBe("/eng/roadmap");
    expect(received.headers["x-auth-user-groups"]).toBe("eng@corp.test");
    expect(decodeJwt(received.headers["x-auth-assertion"]!).groups).toEqual(["eng@corp.test"]);

    const bob = await signedInAs("bob@corp.test");
    const before = stack.originRequests.length;
    const refused = await bob.navigate(`${stack.workerUrl}/eng/roadmap`);
    expect(refused.response.status).toBe(403);
    expect(await refused.response.text()).toContain("bob@corp.test");
    expect(stack.originRequests.length).toBe(before);
    // Bob is still signed in; where the default rule decides, he passes, with no groups header.
    expect((await bob.navigate(`${stack.workerUrl}/home`)).response.status).toBe(200);
    expect(lastOriginRequest().headers["x-auth-user-groups"]).toBeUndefined();
  });

  it("follows nested membership inside the domain, and admits a direct outside member", async () => {
    expect((await (await signedInAs("lead@corp.test")).navigate(`${stack.workerUrl}/eng/x`)).response.status).toBe(200);
    expect((await (await signedInAs("guest@gmail.com")).navigate(`${stack.workerUrl}/eng/x`)).response.status).toBe(
      200,
    );
    expect((await (await signedInAs("sam@corp.test")).navigate(`${stack.workerUrl}/eng/x`)).response.status).toBe(403);
  });

  it("reuses the directory's access token instead of signing a new JWT per lookup", async () => {
    const before = stack.directory!.hits.token;
    await signedInAs("reuse-1@corp.test");
    await signedInAs("reuse-2@corp.test");
    expect(stack.directory!.hits.token - before).toBe(0);
    expect(stack.directory!.hits.token).toBe(1);
  });

  it("a person removed from a group loses access at their next refresh", async () => {
    stack.directory!.setMembers("sales@corp.test", ["sam@corp.test", "temp@corp.test"]);
    const temp = await signedInAs("temp@corp.test");
    expect((await temp.navigate(`${stack.workerUrl}/sales/leads`)).response.status).toBe(200);
    stack.directory!.setMembers("sales@corp.test", ["sam@corp.test"]);
    // Until the access token expires, the groups it was issued with stand (as documented) ...
    expect((await temp.navigate(`${stack.workerUrl}/sales/leads`)).response.status).toBe(200);
    // ... and at the refresh the directory is asked again.
    const refreshed = await temp.request(`${stack.workerUrl}/auth/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(204);
    expect((await temp.navigate(`${stack.workerUrl}/sales/leads`)).response.status).toBe(403);
    const me = await (await temp.request(`${stack.workerUrl}/auth/me`)).json();
    expect(me).not.toHaveProperty("groups");
  });

  it("a directory outage fails closed, with a page and no 500: no sign-in, and a refresh keeps the session for later", async () => {
    const ada = await signedInAs("ada@corp.test");
    stack.directory!.setAvailable(false);
    try {
      const fresh = new Browser();
      const { hops, response } = await fresh.signIn(`${stack.workerUrl}/eng/x`, "ada@corp.test");
      const callback = hops.find((hop) => hop.url.includes("/auth/callback"))!;
      expect(callback.status).toBe(503);
      expect(callback.setCookies.filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie))).toEqual([]);
      expect(await response.text()).toContain("group memberships could not be checked");

      // Ada's session needs a refresh: the gate answers 503 and hands over the rotated refresh cookie.
      ada.jar.delete(stack.workerUrl, "__Host-access");
      const oldRefresh = ada.jar.get(stack.workerUrl, "__Host-refresh");
      const during = await ada.navigate(`${stack.workerUrl}/eng/x`);
      expect(during.response.status).toBe(503);
      expect(during.response.headers.get("retry-after")).toBeTruthy();
      expect(ada.jar.get(stack.workerUrl, "__Host-refresh")).not.toBe(oldRefresh);
      const api = await ada.request(`${stack.workerUrl}/eng/x`, { headers: { accept: "application/json" } });
      expect(api.status).toBe(503);
      expect(await api.json()).toMatchObject({ error: "temporarily_unavailable" });
    } finally {
      stack.directory!.setAvailable(true);
    }
    expect((await ada.navigate(`${stack.workerUrl}/eng/x`)).response.status).toBe(200);
  });
});

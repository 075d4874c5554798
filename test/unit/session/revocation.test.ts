import { describe, expect, it } from "vitest";
import { call, callWith, signedIn } from "../../support/workerd/helpers";

const sameOrigin = { origin: "https://app.test" };

describe("revocation", () => {
  it("five parallel requests carrying only the same refresh cookie all succeed", async () => {
    const { refresh } = await signedIn();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call("/api/x", { headers: { cookie: `__Host-refresh=${refresh}` } })),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("without REVOCATION_CHECK, a logged-out session's access token lives until it expires", async () => {
    const { cookie, access } = await signedIn();
    await call("/auth/logout", { method: "POST", headers: { cookie, ...sameOrigin } });
    expect((await call("/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(200);
  });

  it("with REVOCATION_CHECK=true, it is refused at once", async () => {
    const on = { REVOCATION_CHECK: "true" };
    const { cookie, access } = await signedIn();
    expect((await callWith(on, "/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(200);
    await callWith(on, "/auth/logout", { method: "POST", headers: { cookie, ...sameOrigin } });
    expect((await callWith(on, "/a", { headers: { cookie: `__Host-access=${access}` } })).status).toBe(401);
  });

  it("POST /auth/logout?scope=all signs the user out on every device", async () => {
    const identity = { provider: "default", sub: "devices-1", email: "ada@example.com" };
    const laptop = await signedIn(identity);
    const phone = await signedIn(identity);
    const response = await call("/auth/logout?scope=all", {
      method: "POST",
      headers: { cookie: laptop.cookie, ...sameOrigin },
    });
    expect(response.status).toBe(303);
    const phoneRefresh = await call("/auth/refresh", {
      method: "POST",
      headers: { cookie: `__Host-refresh=${phone.refresh}` },
    });
    expect(phoneRefresh.status).toBe(401);
    expect(
      (await call("/auth/logout?scope=all", { method: "POST", headers: { "sec-fetch-site": "cross-site" } })).status,
    ).toBe(403);
    expect((await call("/auth/logout?scope=nope", { method: "POST" })).status).toBe(400);
  });
});

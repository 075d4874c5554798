import { describe, expect, it } from "vitest";
import { ada, callWith, setCookies, signedIn } from "../../support/workerd/helpers";

/** Ada (ada@example.com) is in the test bindings' ALLOWED_EMAILS; /reports is hers, /admin is not. */
const POLICY = JSON.stringify([
  { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
  { path: "/reports/*", allow: { emails: ["ada@example.com"] } },
  { path: "/status", public: true },
  { path: "/api/deploy", methods: ["POST"], allow: { emails: ["boss@example.com"] } },
]);
const withPolicy = (path: string, init: RequestInit = {}, extra: Record<string, unknown> = {}) =>
  callWith({ ACCESS_POLICY: POLICY, ...extra }, path, init);
const NAVIGATE = { accept: "text/html", "sec-fetch-mode": "navigate" };

describe("ACCESS_POLICY at the gate", () => {
  it("shows a signed-in person on a path their rule does not allow the 403 page naming the account, and keeps their session", async () => {
    const { cookie } = await signedIn();
    const response = await withPolicy("/admin/users", { headers: { cookie, ...NAVIGATE } });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain("<strong>ada@example.com</strong>");
    expect(page).toContain("This account may not see this page.");
    // Still signed in: the person can see (and end) their sessions from here.
    expect(page).toContain('<a href="/auth/sessions">Your sessions</a>');
    // A refusal of one path is not the end of the session: no cookie is cleared.
    expect([...setCookies(response).keys()]).toEqual([]);
    expect((await withPolicy("/reports/q3", { headers: { cookie, ...NAVIGATE } })).status).toBe(200);
  });

  it("answers an API call on such a path with 403 JSON, and the origin gets nothing", async () => {
    const { access } = await signedIn();
    const response = await withPolicy("/admin/users", { headers: { authorization: `Bearer ${access}` } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "forbidden", message: expect.any(String) });
  });

  it("proxies a path the person's rule allows, with identity", async () => {
    const { cookie } = await signedIn();
    const response = await withPolicy("/reports/q3", { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { headers: Record<string, string> }).headers["x-auth-user-email"]).toBe(
      "ada@example.com",
    );
  });

  it("serves a public rule's path without a session, and still needs one elsewhere", async () => {
    const open = await withPolicy("/status", { headers: { "x-auth-user-email": "forged@example.com" } });
    expect(open.status).toBe(200);
    expect(((await open.json()) as { headers: Record<string, string> }).headers["x-auth-user-email"]).toBeUndefined();
    expect((await withPolicy("/status/more")).status).toBe(401);
  });

  it("applies a method rule to its method only", async () => {
    const { cookie } = await signedIn();
    expect((await withPolicy("/api/deploy", { method: "POST", headers: { cookie } })).status).toBe(403);
    expect((await withPolicy("/api/deploy", { headers: { cookie } })).status).toBe(200);
  });

  it("re-checks the rules at refresh: a person some rule still admits keeps the session, refused only where their rule says no", async () => {
    const { refresh } = await signedIn(ada);
    // Ada left the default rule; only the /reports rule names her now.
    const extra = { ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "example.org" };
    const response = await withPolicy("/reports/q3", { headers: { cookie: `__Host-refresh=${refresh}` } }, extra);
    expect(response.status).toBe(200);
    const renewed = setCookies(response);
    expect(renewed.get("__Host-access")).toMatch(/^__Host-access=ey/);
    const access = renewed.get("__Host-access")!.split(";")[0]!;
    expect((await withPolicy("/elsewhere", { headers: { cookie: access } }, extra)).status).toBe(403);
  });

  it("ends the session at refresh when no rule admits the person any more", async () => {
    const { refresh } = await signedIn(ada);
    const response = await withPolicy(
      "/reports/q3",
      { headers: { cookie: `__Host-refresh=${refresh}` } },
      {
        ACCESS_POLICY: JSON.stringify([{ path: "/reports/*", allow: { emails: ["boss@example.com"] } }]),
        ALLOWED_EMAILS: "",
        ALLOWED_DOMAINS: "example.org",
      },
    );
    expect(response.status).toBe(401);
    expect(setCookies(response).get("__Host-refresh")).toMatch(/Max-Age=0/);
  });
});

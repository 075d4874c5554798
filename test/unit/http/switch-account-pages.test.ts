import { afterEach, describe, expect, it, vi } from "vitest";
import { callWith, signedIn } from "../../support/workerd/helpers";

/**
 * The pages that help a person change accounts: the 403 page's "Sign in with another account"
 * comes back to the refused page, and the signed-out page offers the provider's own sign-out
 * when the provider advertises one (Google does not).
 */
const page = { accept: "text/html", "sec-fetch-mode": "navigate" };
const hrefs = (html: string) =>
  [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]!.replaceAll("&#38;", "&"));

afterEach(() => vi.restoreAllMocks());

describe("changing accounts", () => {
  it("links the 403 page's 'Sign in with another account' back to the refused page, as a path", async () => {
    const { cookie } = await signedIn();
    const policy = JSON.stringify([{ path: "/eng/*", allow: { emails: ["grace@example.org"] } }]);
    const response = await callWith({ ACCESS_POLICY: policy }, "/eng/plans?q=1&x=%22", {
      headers: { ...page, cookie },
    });
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(hrefs(html)).toContain("/auth/login?prompt=select_account&return_to=%2Feng%2Fplans%3Fq%3D1%26x%3D%2522");
    expect(html).not.toContain('"/eng/plans');
  });

  it("links back only to what a sign-in would accept as a return: a path no return_to could carry comes back to /, and is not repeated on the page", async () => {
    const { cookie } = await signedIn();
    const policy = JSON.stringify([{ path: "/*", allow: { emails: ["grace@example.org"] } }]);
    const long = `state=${"s".repeat(3000)}`;
    const paths = {
      long: `/eng/plans?${long}`,
      "long, //": `//?${long}`,
      "//": "//evil.example/x",
      "/\\": "/\\evil.example/x",
    };
    for (const [what, path] of Object.entries(paths)) {
      const response = await callWith({ ACCESS_POLICY: policy }, path, { headers: { ...page, cookie } });
      expect(response.status, what).toBe(403);
      const html = await response.text();
      expect(hrefs(html), what).toContain("/auth/login?prompt=select_account&return_to=%2F");
      expect(html, what).not.toMatch(/s{100}|evil/);
    }
  });

  it("says on the signed-out page how it goes with Google, and offers another account; no provider sign-out without one", async () => {
    const response = await callWith({}, "/auth/logout", { headers: page });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(
      "sign-in provider (for example Google) stays signed in, so signing in here again may use it at once",
    );
    expect(hrefs(html)).toEqual(["/auth/login", "/auth/login?prompt=select_account"]);
  });

  it("says it once: not on the sign-out question nor on an access-denied page", async () => {
    const { cookie } = await signedIn();
    const note = "stays signed in, so signing in here again";
    const asking = await callWith({}, "/auth/logout", { headers: { ...page, cookie } });
    const question = await asking.text();
    expect(question).toContain("Sign out of this site on this browser?");
    const policy = JSON.stringify([{ path: "/eng/*", allow: { emails: ["grace@example.org"] } }]);
    const denied = await callWith({ ACCESS_POLICY: policy }, "/eng/", { headers: { ...page, cookie } });
    expect(denied.status).toBe(403);
    for (const html of [question, await denied.text()]) expect(html).not.toContain(note);
  });

  it("links to the provider's end_session_endpoint with our client_id when it has one, and to nothing odd", async () => {
    const endpoints: Record<string, unknown> = {
      "https://sso.test": "https://sso.test/logout?ui=1",
      "https://odd.test": "javascript:alert(1)",
    };
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = new URL(new Request(input, init).url);
      if (url.pathname !== "/.well-known/openid-configuration") throw new TypeError("Network connection lost.");
      if (url.origin === "https://down.test") throw new TypeError("Network connection lost.");
      return Response.json({
        issuer: url.origin,
        authorization_endpoint: `${url.origin}/authorize`,
        token_endpoint: `${url.origin}/token`,
        jwks_uri: `${url.origin}/jwks`,
        end_session_endpoint: endpoints[url.origin],
      });
    });
    const links = async (issuer: string) =>
      hrefs(await (await callWith({ OIDC_ISSUER: issuer }, "/auth/logout", { headers: page })).text());
    expect(await links("https://sso.test")).toContain("https://sso.test/logout?ui=1&client_id=unit-client");
    expect(await links("https://odd.test")).toEqual(["/auth/login", "/auth/login?prompt=select_account"]);
    // A provider that does not answer costs the page its link, never the page.
    expect(await links("https://down.test")).toEqual(["/auth/login", "/auth/login?prompt=select_account"]);
  });
});

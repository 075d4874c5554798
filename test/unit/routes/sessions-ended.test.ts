import { describe, expect, it } from "vitest";
import { sessionsPage, type SessionView } from "../../../src/http/sessions-page";
import { callWith, ISSUER, newPerson, setCookies, signedIn } from "../../support/workerd/helpers";

/**
 * After ending a session on GET {AUTH_PREFIX}/sessions, the page says it was ended, and how long
 * the other browser may still be signed in: its access token is checked without the store
 * (docs/what-people-see.md, "When the other browser is actually signed out").
 */
const PAGE = { accept: "text/html", "sec-fetch-mode": "navigate" };
const POST = { origin: ISSUER, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" };

/** Two sessions of one new person: the page lists only theirs. */
async function twoSessions() {
  const person = newPerson();
  const here = await signedIn(person);
  const other = await signedIn(person);
  return { cookie: here.cookie, otherId: other.issued.familyId };
}

const revoke = (cookie: string, body: string, headers: Record<string, string> = {}) =>
  callWith({}, "/auth/sessions/revoke", { method: "POST", headers: { cookie, ...POST, ...headers }, body });

async function pageText(cookie: string, path: string, bindings: Record<string, string> = {}): Promise<string> {
  const response = await callWith(bindings, path, { headers: { cookie, ...PAGE } });
  expect(response.status).toBe(200);
  return (await response.text()).replace(/<[^>]+>/g, "");
}

describe("GET /auth/sessions after ending a session", () => {
  it("ending one session comes back to ?ended=1, which says so and how long that browser may stay signed in", async () => {
    const { cookie, otherId } = await twoSessions();
    const ended = await revoke(cookie, `id=${otherId}`);
    expect(ended.status).toBe(303);
    expect(ended.headers.get("location")).toBe("/auth/sessions?ended=1");
    const text = await pageText(cookie, ended.headers.get("location")!);
    expect(text).toContain(
      "Session ended. That browser may stay signed in for up to 15 minutes, until its access token expires.",
    );
    expect(text).toContain("You are signed in on this browser only.");
  });

  it("ending every other session comes back to ?ended=others, and says so for those browsers", async () => {
    const { cookie } = await twoSessions();
    const ended = await revoke(cookie, "others=1");
    expect(ended.headers.get("location")).toBe("/auth/sessions?ended=others");
    // This browser goes on as a fresh session: the page is read with the cookies the answer set.
    const fresh = [...setCookies(ended)].map(([, line]) => line.split(";")[0]).join("; ");
    expect(fresh).toMatch(/__Host-access=.+; __Host-refresh=.+/);
    expect(await pageText(fresh, "/auth/sessions?ended=others")).toContain(
      "Every other session ended. Those browsers may stay signed in for up to 15 minutes, until their access tokens expire.",
    );
  });

  it("gives the lifetime in the person's units, and none with REVOCATION_CHECK", async () => {
    const { cookie } = await signedIn(newPerson());
    expect(await pageText(cookie, "/auth/sessions?ended=1", { ACCESS_TOKEN_TTL: "3600" })).toContain(
      "may stay signed in for up to 1 hour, until",
    );
    const checked = await pageText(cookie, "/auth/sessions?ended=1", { REVOCATION_CHECK: "true" });
    expect(checked).toContain(
      "Session ended. That browser is signed out at its next request (within a minute or two if another Cloudflare location serves it).",
    );
    expect(checked).not.toContain("may stay signed in");
  });

  it("with the Durable Object store and REVOCATION_CHECK, the other browser is signed out at its next request", () => {
    const sessions: SessionView[] = [];
    const page = sessionsPage("/auth", "ada@example.com", sessions, 0, {
      ended: "one",
      accessTokenTtlSeconds: 900,
      revocationCheck: true,
      sessionStore: "durable-object",
    });
    expect(page.lead).toBe("Session ended. That browser is signed out at its next request.");
  });

  it("says nothing for any other value, and never shows what the address held", async () => {
    const { cookie } = await signedIn(newPerson());
    const plain = await pageText(cookie, "/auth/sessions");
    for (const query of ["?ended=0", "?ended=%3Cb%3Eyes%3C%2Fb%3E", "?ended=1&ended=others", "?ended="]) {
      const text = await pageText(cookie, `/auth/sessions${query}`);
      expect(text, query).toBe(plain);
    }
    expect(plain).not.toContain("ended");
  });

  it("JSON callers still get 204, and the JSON list carries no notice", async () => {
    const { cookie, otherId } = await twoSessions();
    const byJson = await revoke(cookie, `id=${otherId}`, { accept: "application/json" });
    expect(byJson.status).toBe(204);
    const listed = await callWith({}, "/auth/sessions?ended=1", { headers: { cookie, accept: "application/json" } });
    expect(Object.keys((await listed.json()) as object)).toEqual(["sessions"]);
  });
});

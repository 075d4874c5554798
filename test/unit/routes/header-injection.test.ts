import { describe, expect, it } from "vitest";
import { call } from "../../support/workerd/helpers";

/**
 * The callback's `state` names the login cookie it spends, so a `state` is a header
 * value in waiting. Only the shape we issue (43 base64url characters) may reach Set-Cookie;
 * anything else is a plain 400, never a 5xx from a Headers API refusing a CR or NUL.
 */
const SHAPED = "A".repeat(43);
const LOGIN_COOKIE_NAME = /^__Host-login-[A-Za-z0-9_-]{16}$/;

/** A state of the right length with `bad` spliced in at the start and in the middle. */
const spliced = (bad: string) => [
  `${bad}${SHAPED.slice(bad.length)}`,
  `${SHAPED.slice(0, 8)}${bad}${SHAPED.slice(8 + bad.length)}`,
];

const HOSTILE: Record<string, string[]> = {
  CR: ["\r", ...spliced("\r")],
  LF: ["\n", ...spliced("\n")],
  CRLF: ["\r\nSet-Cookie: __Host-access=x", ...spliced("\r\nX: y")],
  NUL: ["\u0000", ...spliced("\u0000")],
  DEL: ["\u007f", ...spliced("\u007f")],
  semicolon: ["a;b", ...spliced(";"), `${SHAPED}; Domain=evil.example`],
  equals: ["a=b", ...spliced("="), `${SHAPED}=`],
  "non-ASCII": [...spliced("\u00e9"), ...spliced("\u2028")],
};

function cookieNames(response: Response): string[] {
  return response.headers.getSetCookie().map((value) => value.slice(0, value.indexOf("=")));
}

async function callback(state: string): Promise<Response> {
  return call(`/auth/callback?code=abc&state=${encodeURIComponent(state)}`, { headers: { accept: "text/html" } });
}

describe("the callback's state never reaches a header", () => {
  it.each(Object.entries(HOSTILE))("answers a state containing %s with a plain 400", async (_name, states) => {
    for (const state of states) {
      const response = await callback(state);
      expect(response.status, JSON.stringify(state)).toBe(400);
      for (const name of cookieNames(response)) expect(name, JSON.stringify(state)).toMatch(LOGIN_COOKIE_NAME);
      for (const value of response.headers.getSetCookie()) expect(value).not.toMatch(/[\r\n\u0000\u007f]|evil/);
      const body = await response.text();
      expect(body).not.toContain("Set-Cookie");
      expect(body).not.toContain("evil.example");
    }
  });

  it("answers a state that is percent-encoded twice (decodes once to %0d%0a) with a plain 400", async () => {
    const response = await call(`/auth/callback?code=abc&state=${"%250d%250a".padEnd(43, "A")}`);
    expect(response.status).toBe(400);
    expect(cookieNames(response).every((name) => LOGIN_COOKIE_NAME.test(name))).toBe(true);
  });

  it("spends the login cookie of a well-shaped state, named by its first 16 characters (the control case)", async () => {
    const state = `${"B".repeat(16)}${"c".repeat(27)}`;
    const response = await callback(state);
    expect(response.status).toBe(400);
    expect(cookieNames(response)).toContain(`__Host-login-${"B".repeat(16)}`);
    for (const name of cookieNames(response)) expect(name).toMatch(LOGIN_COOKIE_NAME);
  });
});

import { describe, expect, it } from "vitest";
import { call, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * Behind a public prefix (PUBLIC_PATHS "/healthz,/public/*" here), a path an origin
 * could decode into something else is not public: double-encoded dots, `;` parameters in any
 * spelling, overlong UTF-8 and other non-ASCII escapes. They need a session like any other path.
 */
const AMBIGUOUS = [
  "/public/%252e%252e/admin",
  "/public/%252E%252E/admin",
  "/public/%252f..%252fadmin",
  "/public/..%3b/admin",
  "/public/..%3B/admin",
  "/public/a;jsessionid=x/../../admin",
  "/public/%c0%ae%c0%ae/admin",
  "/public/%C0%AE%C0%AE/admin",
  "/public/%e0%80%ae%e0%80%ae/admin",
  "/public/%c0%af/admin",
  "/public/caf%c3%a9",
  "/public/%e2%80%a8",
  "/public/%ff",
  "/public/%2e%2e/admin",
  "/public/%5c../admin",
  "/public/%00/admin",
];

describe("ambiguous escapes behind a public prefix need a session", () => {
  it.each(AMBIGUOUS)("%s: 401 to an API call, nothing proxied", async (path) => {
    const response = await call(path, { headers: { accept: "application/json" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await response.json()).not.toHaveProperty("path");
  });

  it.each(AMBIGUOUS)("%s: 302 to sign in for a navigation", async (path) => {
    const response = await call(path, { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/auth\/login\?return_to=/);
  });

  it("proxies the same paths for a signed-in person, unchanged", async () => {
    const { cookie } = await signedIn();
    for (const path of ["/public/%252e%252e/admin", "/public/..%3b/admin", "/public/%c0%ae%c0%ae/admin"]) {
      const response = await call(path, { headers: { cookie } });
      expect(response.status).toBe(200);
      expect(((await response.json()) as Echo).path).toBe(path);
    }
  });

  it.each(["/public/", "/public/a/b.css", "/public/a-b_c~d.txt?v=%2e%25", "/healthz"])(
    "still serves the plain public path %s without a session (control)",
    async (path) => {
      const response = await call(path);
      expect(response.status).toBe(200);
      expect(((await response.json()) as Echo).path).toBe(path);
    },
  );
});

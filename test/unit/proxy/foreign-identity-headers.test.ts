import { describe, expect, it } from "vitest";
import { call, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * identity headers that other proxies set (oauth2-proxy, Apache and
 * nginx auth, Cloudflare Access, Google IAP) never come from a client, on any path; and
 * X-Forwarded-For / X-Real-IP carry the address Cloudflare saw (CF-Connecting-IP), never a
 * client-sent value.
 */

const FOREIGN: Record<string, string> = {
  "X-Forwarded-User": "admin",
  "X-Forwarded-Email": "admin@example.com",
  "X-Forwarded-Preferred-Username": "admin",
  "X-Forwarded-Groups": "admins",
  "X-Forwarded-Access-Token": "ya29.forged",
  "Remote-User": "admin",
  "X-Remote-User": "admin",
  "X-WebAuth-User": "admin",
  "Cf-Access-Jwt-Assertion": "eyJforged",
  "Cf-Access-Authenticated-User-Email": "admin@example.com",
  "X-Goog-Authenticated-User-Email": "accounts.google.com:admin@example.com",
  "X-Goog-Authenticated-User-Id": "accounts.google.com:1",
  "X-Goog-IAP-JWT-Assertion": "eyJforged",
};
/** The same names as some servers would see them: lower case, upper case, underscores. */
const SPELLINGS: Record<string, string> = {
  remote_user: "admin",
  X_FORWARDED_EMAIL: "admin@example.com",
  "x-goog-authenticated-user-whatever": "x",
  CF_ACCESS_JWT_ASSERTION: "eyJforged",
};
const FORGED_VALUES = /admin|forged|accounts\.google\.com|^x$/;

async function originSees(path: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const response = await call(path, { headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as Echo).headers;
}

function foreignLeft(seen: Record<string, string>): string[] {
  const names = new Set([...Object.keys(FOREIGN), ...Object.keys(SPELLINGS)].map((name) => name.toLowerCase()));
  return Object.entries(seen)
    .filter(([name, value]) => names.has(name) || FORGED_VALUES.test(value))
    .map(([name]) => name);
}

describe("identity headers of other proxies are stripped", () => {
  it("on a public path", async () => {
    expect(foreignLeft(await originSees("/public/x", { ...FOREIGN, ...SPELLINGS }))).toEqual([]);
  });

  it("on a protected path, where only our identity reaches the origin", async () => {
    const { cookie } = await signedIn();
    const seen = await originSees("/a", { cookie, ...FOREIGN, ...SPELLINGS });
    expect(foreignLeft(seen)).toEqual([]);
    expect(seen["x-auth-user-email"]).toBe("ada@example.com");
  });

  it("while other X-Forwarded-* and custom headers pass (control)", async () => {
    const seen = await originSees("/public/x", { "X-Forwarded-Client-Cert": "keep", "X-Custom-User-Agent": "keep" });
    expect(seen["x-forwarded-client-cert"]).toBe("keep");
    expect(seen["x-custom-user-agent"]).toBe("keep");
  });
});

describe("the client's address comes from Cloudflare only", () => {
  const forged = {
    "X-Forwarded-For": "6.6.6.6",
    "X-Real-IP": "6.6.6.6",
    x_forwarded_for: "6.6.6.6",
    X_Real_IP: "6.6.6.6",
    "True-Client-IP": "6.6.6.6",
    "X-Client-IP": "6.6.6.6",
  };

  it.each(["/public/x", "/a"])("on %s: X-Forwarded-For and X-Real-IP are CF-Connecting-IP", async (path) => {
    const { cookie } = await signedIn();
    const seen = await originSees(path, { cookie, ...forged, "CF-Connecting-IP": "203.0.113.7" });
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen["x-real-ip"]).toBe("203.0.113.7");
    expect(JSON.stringify(seen)).not.toContain("6.6.6.6");
  });

  it.each(["/public/x", "/a"])("on %s without CF-Connecting-IP: no client-sent address at all", async (path) => {
    const { cookie } = await signedIn();
    const seen = await originSees(path, { cookie, ...forged });
    expect(seen["x-forwarded-for"]).toBeUndefined();
    expect(seen["x-real-ip"]).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain("6.6.6.6");
  });
});

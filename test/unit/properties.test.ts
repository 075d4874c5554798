import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse-config";
import { isPublicPath, parsePublicPath, type PublicPathPattern } from "../../src/config/public-paths";
import type { Env } from "../../src/env";
import { isWorkerCookieName, parseCookieHeader, readCookie, withoutWorkerCookies } from "../../src/http/cookies";
import { safeReturnTo } from "../../src/http/return-to";
import { verifyAccessToken } from "../../src/session/access-token";
import { bearerToken } from "../../src/session/resolve-session";
import { ISSUER, testConfig, testEnv } from "./helpers";

// Seeded, so a failure reproduces; bounded, so the suite stays fast on two cores.
const RUNS = { seed: 20261128, numRuns: 300 };

/** Strings made of the characters that matter to each parser, plus anything at all. */
const tricky = (alphabet: string[]) =>
  fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join("")));

const REDIRECT_PARTS = ["/", "//", "\\", "/\\", "\\/", "%2f", "%2F", "%5c", "%252f", "%09", "%0a", "%00", "\t", "\n", "\r", " ", "\u0000", "@", ":", ".", "..", "./", "../", "?", "#", "http:", "https:", "javascript:", "data:", "evil.example", "user:pass@", "\u3002", "\uff0f", "\ud800", "a"];

describe("properties (fast-check)", () => {
  it("safeReturnTo always yields a path on our own origin", () => {
    fc.assert(
      fc.property(tricky(REDIRECT_PARTS), (raw) => {
        const result = safeReturnTo(raw);
        expect(result.startsWith("/")).toBe(true);
        expect(result.startsWith("//")).toBe(false);
        expect(result.includes("\\")).toBe(false);
        expect(new URL(result, "https://app.test").origin).toBe("https://app.test");
      }),
      RUNS,
    );
  });

  it("cookie parsing never throws, and stripping keeps no cookie of ours", () => {
    fc.assert(
      fc.property(tricky([";", "=", " ", '"', "__Host-access", "__host-refresh", "__Host-login-x", "a", "%", ","]), (header) => {
        parseCookieHeader(header);
        readCookie(header, "__Host-access");
        const stripped = withoutWorkerCookies(header);
        for (const { name } of parseCookieHeader(stripped)) expect(isWorkerCookieName(name)).toBe(false);
      }),
      RUNS,
    );
  });

  it("public-path matching never throws and only matches configured prefixes", () => {
    const patterns = ["/healthz", "/public/*"].map(parsePublicPath) as PublicPathPattern[];
    fc.assert(
      fc.property(tricky(["/", "public", "healthz", ".", "..", "%2e", "%2f", ";", "\\", "x"]), (tail) => {
        const path = `/${tail}`;
        if (isPublicPath(path, patterns)) expect(path === "/healthz" || path.startsWith("/public/")).toBe(true);
      }),
      RUNS,
    );
  });

  it("bearer extraction and access-token verification never throw on garbage", async () => {
    const config = await testConfig();
    await fc.assert(
      fc.asyncProperty(tricky(["Bearer ", "eyJ", ".", "-", "_", "=", "a", " "]), async (value) => {
        bearerToken(new Request("https://app.test/", { headers: { authorization: value.replace(/[\r\n\0]/g, "") } }));
        expect(await verifyAccessToken(config, ISSUER, value, Math.floor(Date.now() / 1000))).toBeUndefined();
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it("configuration parsing reports problems instead of throwing, whatever the values", async () => {
    const names = ["ORIGIN_URL", "PUBLIC_URL", "OIDC_ISSUER", "SESSION_KEYS", "ALLOWED_EMAILS", "ALLOWED_DOMAINS", "PUBLIC_PATHS", "ACCESS_TOKEN_TTL", "AUTH_PREFIX", "REVOCATION_CHECK"] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), tricky(["{", "}", '"keys"', "[", "]", ",", "*", "/", "http://", "https://", "0", "-1", "true"]), async (name, value) => {
        const result = await parseConfig({ ...testEnv, [name]: value } as Env);
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });
});

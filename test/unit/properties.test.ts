import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/parse-config";
import { isWorkerCookieName, parseCookies } from "../../src/http/cookies";
import { readRequest } from "../../src/http/request-facts";
import { safeReturnTo } from "../../src/http/return-to";
import { accessDecision } from "../../src/policy/access-decision";
import { verifiedAccessToken } from "../../src/tokens/access-token";
import { ISSUER, testConfig, testEnv } from "../support/workerd/helpers";

/** An independent reading of a Cookie header, as RFC 6265 5.2 splits it: the test's oracle. */
function namedPairs(header: string | null): { name: string; value: string }[] {
  return (header ?? "")
    .split(";")
    .filter((part) => part.indexOf("=") > 0 && part.slice(0, part.indexOf("=")).trim() !== "")
    .map((part) => {
      const value = part.slice(part.indexOf("=") + 1).trim();
      return {
        name: part.slice(0, part.indexOf("=")).trim(),
        value: value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value,
      };
    });
}

// Seeded, so a failure reproduces; bounded, so the suite stays fast on two cores.
const RUNS = { seed: 20261128, numRuns: 300 };

/** Strings made of the characters that matter to each parser, plus anything at all. */
const tricky = (alphabet: string[]) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join("")),
  );

const REDIRECT_PARTS = [
  "/",
  "//",
  "\\",
  "/\\",
  "\\/",
  "%2f",
  "%2F",
  "%5c",
  "%252f",
  "%09",
  "%0a",
  "%00",
  "\t",
  "\n",
  "\r",
  " ",
  "\u0000",
  "@",
  ":",
  ".",
  "..",
  "./",
  "../",
  "?",
  "#",
  "http:",
  "https:",
  "javascript:",
  "data:",
  "evil.example",
  "user:pass@",
  "\u3002",
  "\uff0f",
  "\ud800",
  "a",
];

/** Well-formed-ish Cookie headers, often with one of our cookies sent twice or as a look-alike. */
const cookieHeaders = fc
  .array(
    fc.tuple(
      fc.constantFrom("__Host-access", "__Host-refresh", "__host-access", "__Host-login-x", "a", " b ", ""),
      fc.constantFrom("v", "", '"q"', "x=y", " w "),
    ),
    { maxLength: 6 },
  )
  .chain((pairs) =>
    fc
      .constantFrom(";", "; ", " ;")
      .map((separator) => pairs.map(([name, value]) => `${name}=${value}`).join(separator)),
  );

describe("properties (fast-check)", () => {
  it("safeReturnTo always yields a path on our own origin", () => {
    fc.assert(
      fc.property(tricky(REDIRECT_PARTS), (raw) => {
        const result = safeReturnTo(raw, "/auth");
        expect(result.startsWith("/")).toBe(true);
        expect(result.startsWith("//")).toBe(false);
        expect(result.includes("\\")).toBe(false);
        expect(new URL(result, "https://app.test").origin).toBe("https://app.test");
      }),
      RUNS,
    );
  });

  it("cookie parsing never throws, reading agrees with parsing, and stripping keeps every other cookie but none of ours", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          tricky([";", "=", " ", '"', "__Host-access", "__host-refresh", "__Host-login-x", "a", "%", ","]),
          cookieHeaders,
        ),
        (header) => {
          const pairs = namedPairs(header);
          const jar = parseCookies(header);
          // A cookie is read only when it was sent exactly once, with a value (these values are
          // far below the 4096-character cap, beyond which it would count as absent too).
          const sent = pairs.filter((pair) => pair.name === "__Host-access");
          const read = jar.get("__Host-access");
          if (sent.length === 1 && sent[0]!.value !== "") expect(read).toBe(sent[0]!.value);
          else expect(read).toBeUndefined();
          const stripped = jar.forOrigin();
          expect(namedPairs(stripped)).toEqual(pairs.filter(({ name }) => !isWorkerCookieName(name)));
          // Ours, spelled independently of isWorkerCookieName: any case, as browsers may send.
          for (const { name } of namedPairs(stripped))
            expect(name.toLowerCase()).not.toMatch(/^__host-(access$|refresh$|login-)/);
        },
      ),
      RUNS,
    );
  });

  it("public-path matching never throws and only matches configured prefixes", async () => {
    // The unit configuration's PUBLIC_PATHS ("/healthz,/public/*"), decided as the gate decides.
    const { policy } = await testConfig();
    const seen = { matched: 0, refused: 0 };
    fc.assert(
      fc.property(tricky(["/", "public", "healthz", ".", "..", "%2e", "%2f", ";", "\\", "x"]), (tail) => {
        const path = `/${tail}`;
        const matched = accessDecision(policy, path, "GET").public;
        if (matched) expect(path === "/healthz" || path.startsWith("/public/")).toBe(true);
        seen[matched ? "matched" : "refused"]++;
      }),
      RUNS,
    );
    // Both outcomes occurred, so the check above ran on matches and was not vacuous.
    expect(seen.matched).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it("bearer extraction and access-token verification never throw on garbage", async () => {
    const config = await testConfig();
    let extracted = 0;
    await fc.assert(
      fc.asyncProperty(tricky(["Bearer ", "eyJ", ".", "-", "_", "=", "a", " "]), async (value) => {
        const request = new Request("https://app.test/", {
          headers: { authorization: value.replace(/[\r\n\0]/g, "") },
        });
        const token = readRequest(request, ISSUER).bearer;
        if (token !== undefined) {
          extracted++;
          // Only a token-shaped string after the Bearer scheme, taken from the header itself.
          expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
          expect(request.headers.get("authorization")!.trim()).toMatch(/^bearer +/i);
          expect(request.headers.get("authorization")!.trim().endsWith(token)).toBe(true);
          await expect(
            verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, Math.floor(Date.now() / 1000)),
          ).rejects.toHaveProperty("code");
        }
        await expect(
          verifiedAccessToken(config, config.sessionKeys!, ISSUER, value, Math.floor(Date.now() / 1000)),
        ).rejects.toHaveProperty("code");
      }),
      { ...RUNS, numRuns: 150 },
    );
    // Some garbage did look like a bearer token, so the checks on an extracted one ran.
    expect(extracted).toBeGreaterThan(0);
  });

  it("configuration parsing reports problems instead of throwing, whatever the values", async () => {
    const names = [
      "ORIGIN_URL",
      "PUBLIC_URL",
      "OIDC_ISSUER",
      "SESSION_KEYS",
      "ALLOWED_EMAILS",
      "ALLOWED_DOMAINS",
      "PUBLIC_PATHS",
      "ACCESS_TOKEN_TTL",
      "AUTH_PREFIX",
      "REVOCATION_CHECK",
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        tricky(["{", "}", '"keys"', "[", "]", ",", "*", "/", "http://", "https://", "0", "-1", "true"]),
        async (name, value) => {
          const result = await parseConfig({ ...testEnv, [name]: value });
          if (result.ok) {
            expect(result.config).toBeDefined();
          } else {
            // Only `name` differs from a valid configuration, so the report must name it.
            expect(result.problems.length).toBeGreaterThan(0);
            expect(result.problems.join("\n")).toContain(name);
          }
        },
      ),
      { ...RUNS, numRuns: 150 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAccessPolicyRules } from "../../src/config/access-policy";
import { parsePreviewHost } from "../../src/config/preview-hosts";
import { parsePublicPath } from "../../src/config/public-paths";
import { readRequest } from "../../src/http/request-facts";
import { safeReturnTo } from "../../src/http/return-to";
import { accessDecision, preflightPasses } from "../../src/policy/access-decision";
import { isPreviewOrigin } from "../../src/policy/preview-origin";
import { callWith, ISSUER, signedIn, testConfig } from "../support/workerd/helpers";

/**
 * No address answers 500: whatever a client sends, the worker answers it or refuses it. The only
 * 5xx are the documented answers about a dependency (docs/security.md, "Path readings"): 502 when the
 * provider or the origin cannot be reached, 503 when the session store, the directory, the RISC
 * transmitter or a workload issuer cannot.
 */
const DEPENDENCY_STATUSES = [502, 503];

/** Seeded so a failure reproduces (fast-check prints the counterexample and the path to it). */
const SEED = 20261207;
/**
 * Each property stops generating after its budget (what it has run so far still counts), and
 * the test's timeout is far above it, so the length of a run on a busy machine never decides the result.
 */
const BUDGET_MS = 20_000;
const TEST_TIMEOUT_MS = 120_000;

/** Every route of the worker, and paths the gate decides, under the test bindings' AUTH_PREFIX. */
const ROUTES = [
  "/",
  "/auth",
  "/auth/",
  "/auth/login",
  "/auth/callback",
  "/auth/relay",
  "/auth/me",
  "/auth/health",
  "/auth/logout",
  "/auth/refresh",
  "/auth/risc",
  "/auth/x",
  "/.well-known/jwks.json",
  "/public/a",
  "/admin",
  "/admin/x",
  "/api/deploy",
  "/private",
];

/** The pieces of a path an origin, a router or a URL parser may read otherwise than we do. */
const PATH_PARTS = [
  "/",
  "//",
  "\\",
  "%2f",
  "%2F",
  "%5c",
  "%252f",
  "%2e",
  "%2e%2e",
  ".",
  "..",
  "./",
  "../",
  "%09",
  "%0a",
  "%00",
  "%20",
  ";",
  ";x",
  "%3b",
  "%",
  "%zz",
  "%ff",
  "%c0%ae",
  "?",
  "#",
  "@",
  ":",
  "admin",
  "auth",
  "AUTH",
  "login",
  "x",
  "\u00e9",
  "~",
];

/** A return_to as a browser or an attacker may spell it: raw, escaped once, escaped twice. */
const RETURN_TO_PARTS = [
  "/",
  "//",
  "/\\",
  "\\",
  "%2f",
  "%5c",
  "%09",
  "\t",
  "%0d%0a",
  "evil.example",
  "https:",
  "javascript:",
  "@",
  "..",
  "auth",
  "login",
  "?",
  "#",
  "%",
  "%25",
  "a",
];
const encodings = [
  (raw: string) => raw,
  encodeURIComponent,
  (raw: string) => encodeURIComponent(encodeURIComponent(raw)),
];

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/** Short joins (where most edge cases are: `/%2f` alone) as often as long ones. */
const joined = (parts: string[], maxLength: number) =>
  fc
    .oneof(fc.array(fc.constantFrom(...parts), { maxLength: 3 }), fc.array(fc.constantFrom(...parts), { maxLength }))
    .map((items) => items.join(""));

/** A path: a route, a route with something appended, or anything made of PATH_PARTS. */
const paths = fc.oneof(
  fc.constantFrom(...ROUTES),
  fc.tuple(fc.constantFrom(...ROUTES), joined(PATH_PARTS, 6)).map(([route, tail]) => route + tail),
  joined(PATH_PARTS, 12).map((tail) => `/${tail}`),
);

const returnTos = fc
  .tuple(joined(RETURN_TO_PARTS, 10), fc.constantFrom(...encodings))
  .map(([raw, encode]) => `return_to=${encode(raw)}`);
const queries = fc
  .array(
    fc.oneof(
      returnTos,
      fc.constantFrom(
        "state=a",
        "state=a&state=b",
        "code=x",
        "relay_to=https%3A%2F%2Fx-app.preview.test",
        "relay_state=x",
        "prompt=login",
        "error=%3Cx%3E",
        "%zz",
        "a=%",
        "x=" + "a".repeat(3000),
      ),
    ),
    { maxLength: 3 },
  )
  .map((parts) => (parts.length === 0 ? "" : `?${parts.join("&")}`));

/** Where a redirect of ours points on our own origin, if it does (the next step a browser takes). */
function ownRedirect(response: Response): string | undefined {
  const location = response.headers.get("location");
  if (response.status < 300 || response.status > 399 || !location) return undefined;
  const target = new URL(location, ISSUER);
  return target.origin === ISSUER ? target.pathname + target.search : undefined;
}

function expectNoServerError(response: Response, what: string) {
  if (response.status >= 500)
    expect(DEPENDENCY_STATUSES, `${what} answered ${response.status}`).toContain(response.status);
}

describe("no address answers 500", () => {
  it(
    "whatever the path, query, return_to, cookies and headers, on every route, and on the redirect that follows",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const { access, refresh } = await signedIn();
      const cookies = [
        "",
        `__Host-access=${access}`,
        `__Host-refresh=${refresh}`,
        `__Host-access=${access}; __Host-refresh=${refresh}`,
        "__Host-access=x.y.z",
        `__Host-refresh=${"A".repeat(43)}`,
        "__Host-login-abc=x",
        ";;==;",
        "__Host-refresh=%zz",
      ];
      const headers = fc.record({
        cookie: fc.constantFrom(...cookies),
        accept: fc.constantFrom("", "text/html", "application/json", "*/*"),
        "sec-fetch-mode": fc.constantFrom("", "navigate", "cors"),
        "sec-fetch-site": fc.constantFrom("", "same-origin", "cross-site", "none"),
        origin: fc.constantFrom("", ISSUER, "https://evil.example", "null", "https://x-app.preview.test"),
        authorization: fc.constantFrom("", `Bearer ${access}`, "Bearer x.y.z", "Basic Og=="),
        "access-control-request-method": fc.constantFrom("", "POST", "GET"),
        "content-type": fc.constantFrom(
          "",
          "application/json",
          "application/x-www-form-urlencoded",
          "application/secevent+jwt",
        ),
        "x-http-method-override": fc.constantFrom("", "DELETE"),
      });
      const bindings = {
        ACCESS_POLICY: JSON.stringify([
          { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
          { path: "/api/deploy", methods: ["POST"], allow: { emails: ["boss@example.com"] } },
          { path: "/api/*", allow: { emails: ["ada@example.com"] }, preflight: true },
        ]),
        PREVIEW_HOSTS: "*-app.preview.test",
        PUBLIC_URL: ISSUER,
      };
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          paths,
          queries,
          headers,
          fc.string({ maxLength: 40 }),
          async (method, path, query, sent, body) => {
            const init: RequestInit = {
              method,
              headers: Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== "")),
            };
            if (method !== "GET" && method !== "HEAD") init.body = body;
            let request: Request;
            try {
              request = new Request(`${ISSUER}${path}${query}`);
            } catch {
              return; // Not a request a client can send: no URL.
            }
            const target = new URL(request.url);
            const response = await callWith(bindings, target.pathname + target.search, init);
            expectNoServerError(response, `${method} ${target.pathname}${target.search}`);
            await response.arrayBuffer();
            const next = ownRedirect(response);
            if (next !== undefined) {
              const followed = await callWith(bindings, next, {
                headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
              });
              expectNoServerError(followed, `GET ${next} after ${method} ${target.pathname}${target.search}`);
              await followed.arrayBuffer();
            }
          },
        ),
        { seed: SEED, numRuns: 1500, interruptAfterTimeLimit: BUDGET_MS },
      );
    },
  );

  it("answers the sign-in redirect of a navigation to /%2f, and its own login page, without a 500", async () => {
    const gate = await callWith({}, "/%2f", { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
    expect(gate.status).toBe(302);
    const location = gate.headers.get("location")!;
    expect(location).toBe("/auth/login?return_to=%2F%252f");
    const login = await callWith({}, location, { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } });
    expect(login.status).toBe(302);
    await login.arrayBuffer();
  });
});

describe("no helper that parses a URL throws, whatever it is given", () => {
  const anything = fc.oneof(
    fc.string({ maxLength: 120 }),
    joined([...PATH_PARTS, ...RETURN_TO_PARTS, "https://", "http://", "[", "]", ":443", "*", "-"], 20),
  );
  const options = { seed: SEED, numRuns: 2000, interruptAfterTimeLimit: BUDGET_MS };

  it("safeReturnTo: always a path on our own origin", { timeout: TEST_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anything,
          anything.map((text) => `/${text}`),
        ),
        (raw) => {
          const result = safeReturnTo(raw, "/auth");
          expect(result.startsWith("/") && !result.startsWith("//") && !result.includes("\\")).toBe(true);
          expect(new URL(result, ISSUER).origin).toBe(ISSUER);
        },
      ),
      options,
    );
  });

  it(
    "the access decision, the preflight decision, and reading a request: any path, any method",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const { policy } = await testConfig();
      fc.assert(
        fc.property(anything, fc.string({ maxLength: 10 }), (path, method) => {
          const decision = accessDecision(policy, `/${path}`, method);
          expect(decision.public || decision.rules.length > 0).toBe(true);
          expect(typeof preflightPasses(policy, `/${path}`, method)).toBe("boolean");
          let request: Request;
          try {
            request = new Request(`${ISSUER}/${path}`);
          } catch {
            return;
          }
          expect(readRequest(request, ISSUER).url.origin).toBe(ISSUER);
        }),
        options,
      );
    },
  );

  it(
    "preview origins and the patterns, public paths and policy paths of the configuration",
    { timeout: TEST_TIMEOUT_MS },
    () => {
      const pattern = parsePreviewHost("*-app.preview.test");
      if (typeof pattern === "string") throw new Error(pattern);
      fc.assert(
        fc.property(anything, (text) => {
          expect(typeof isPreviewOrigin(text, [pattern])).toBe("boolean");
          expect(["string", "object"]).toContain(typeof parsePreviewHost(text));
          expect(["string", "object"]).toContain(typeof parsePublicPath(text));
          const problems: string[] = [];
          parseAccessPolicyRules(JSON.stringify([{ path: text, allow: { emails: ["a@example.com"] } }]), problems);
          expect(problems.every((problem) => typeof problem === "string")).toBe(true);
        }),
        options,
      );
    },
  );
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAccessPolicyRules } from "../../src/config/access-policy";
import { CONFIG_NAMES } from "../../src/config/load-config";
import { parseConfig } from "../../src/config/parse-config";
import { parsePreviewHost } from "../../src/config/preview-hosts";
import { parsePublicPath } from "../../src/config/public-paths";
import type { Env } from "../../src/env";
import { isWorkerCookieName, parseCookies } from "../../src/http/cookies";
import { readRequest } from "../../src/http/request-facts";
import { safeReturnTo } from "../../src/http/return-to";
import { accessDecision, preflightPasses } from "../../src/policy/access-decision";
import { isPreviewOrigin } from "../../src/policy/preview-origin";
import { createApp } from "../../src/routes/route-table";
import { verifiedAccessToken } from "../../src/tokens/access-token";
import { callWith, ISSUER, newPerson, ORIGIN_PATHS, signedIn, testConfig, testEnv } from "../support/workerd/helpers";

/**
 * Whatever a client sends, the worker answers it or refuses it: no address answers 500, no
 * exception escapes, and no answer of the worker's own repeats what was sent or shows a stack.
 * The only 5xx are the documented answers about a dependency
 * (docs/security.md, "Path readings"): 502 when the provider or the origin cannot be reached,
 * 503 when the session store, the directory, the RISC transmitter or a workload issuer cannot; in these tests every
 * dependency is up, so none is expected at all. The helpers that read what a client sends keep
 * their promises on any input, and any value of any setting is either served or reported.
 *
 * Seeded, so a failure reproduces (fast-check prints the counterexample and the path to it), and
 * with fixed run counts, so every run checks the same inputs whatever the machine's load.
 */
const SEED = 20261207;
/** Whole requests cost about 20 ms each on a busy 2-core machine; helpers, microseconds. */
const REQUEST_RUNS = 400;
const HELPER_RUNS = 1000;
const CONFIG_RUNS = 150;
/** Far above what the runs take, so that a busy machine never decides the result. */
const TEST_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// What a client may send
// ---------------------------------------------------------------------------------------------

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
const REDIRECT_PARTS = [
  "/",
  "//",
  "/\\",
  "\\",
  "\\/",
  "%2f",
  "%2F",
  "%5c",
  "%252f",
  "%09",
  "%0a",
  "%0d%0a",
  "%00",
  "%",
  "%25",
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
  "auth",
  "login",
  "\u3002",
  "\uff0f",
  "\ud800",
  "a",
];
/** As a browser escapes it; a lone surrogate, which has no escape, stays as it is. */
const escaped = (raw: string) => {
  try {
    return encodeURIComponent(raw);
  } catch {
    return raw;
  }
};
const encodings = [(raw: string) => raw, escaped, (raw: string) => escaped(escaped(raw))];

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/** Short joins (where most edge cases are: `/%2f` alone) as often as long ones. */
const joined = (parts: string[], maxLength: number) =>
  fc
    .oneof(fc.array(fc.constantFrom(...parts), { maxLength: 3 }), fc.array(fc.constantFrom(...parts), { maxLength }))
    .map((items) => items.join(""));

/** Strings made of the characters that matter to a parser, or anything at all. */
const tricky = (alphabet: string[]) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((parts) => parts.join("")),
  );

/**
 * Sent values that must never come back in an answer of the worker's own (a page, a JSON
 * refusal): long runs that no page or key holds, markup, or the look of a stack trace.
 */
const REFLECTED = /<script>|<x>|s{9}|A{8}|e{9}|at \w+ \(|Error:/;
const LONG_STATE = "s".repeat(10_000);
const LONG_TOKEN = "A".repeat(10_000);

/**
 * Every path the worker answers itself, read from its route table (so a new route is covered
 * without touching this file), with the methods each takes; plus paths the gate decides under
 * the unit bindings (PUBLIC_PATHS "/healthz,/public/*", and the policy below).
 */
async function ownRoutes(): Promise<{ path: string; methods: string[] }[]> {
  const byPath = new Map<string, Set<string>>();
  for (const { path, method } of createApp(await testConfig()).routes) {
    if (path.includes("*")) continue;
    const methods = byPath.get(path) ?? byPath.set(path, new Set()).get(path)!;
    if (method !== "ALL") methods.add(method);
  }
  return [...byPath].map(([path, methods]) => ({ path, methods: [...methods] }));
}
const GATE_PATHS = ["/", "/public/a", "/healthz", "/admin", "/admin/x", "/api/x", "/api/deploy", "/private", "/auth/x"];

/** A second set of bindings: rules per path, preflights and preview origins, so their code runs too. */
const POLICY_BINDINGS = {
  ACCESS_POLICY: JSON.stringify([
    { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
    { path: "/api/deploy", methods: ["POST"], allow: { emails: ["boss@example.com"] } },
    { path: "/api/*", allow: { emails: ["ada@example.com"] }, preflight: true },
  ]),
  PREVIEW_HOSTS: "*-app.preview.test",
  PUBLIC_URL: ISSUER,
};

interface Sent {
  policy: boolean;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/** The request generator, given the paths to aim at and a signed-in session's tokens. */
function requests(paths: string[], access: string, refresh: string) {
  const path = fc.oneof(
    fc.constantFrom(...paths),
    fc.tuple(fc.constantFrom(...paths), joined(PATH_PARTS, 6)).map(([route, tail]) => route + tail),
    joined(PATH_PARTS, 12).map((tail) => `/${tail}`),
  );
  const returnTo = fc
    .tuple(joined(REDIRECT_PARTS, 10), fc.constantFrom(...encodings))
    .map(([raw, encode]) => `return_to=${encode(raw)}`);
  const query = fc
    .array(
      fc.oneof(
        returnTo,
        fc.constantFrom(
          "state=a",
          "state=a&state=b",
          "code=x",
          "code=x&state=y",
          `state=${LONG_STATE}&code=c`,
          "relay_to=https%3A%2F%2Fx-app.preview.test",
          "relay_state=x",
          "prompt=login",
          "scope=all",
          "_method=DELETE",
          "error=%3Cscript%3E",
          "%zz",
          "a=%",
          "x=" + "a".repeat(3000),
        ),
      ),
      { maxLength: 3 },
    )
    .map((parts) => (parts.length === 0 ? "" : `?${parts.join("&")}`));
  const headers = fc.record({
    cookie: fc.constantFrom(
      "",
      `__Host-access=${access}`,
      `__Host-refresh=${refresh}`,
      `__Host-access=${access}; __Host-refresh=${refresh}`,
      "__Host-access=x.y.z",
      `__Host-access=${LONG_TOKEN}`,
      "__Host-access=a.b.c; __Host-access=d.e.f",
      `__Host-refresh=${"A".repeat(43)}`,
      "__Host-refresh=../../family:x",
      "__Host-refresh=%00%ff",
      "__Host-refresh=%zz",
      "__Host-login-abc=x",
      ";;;=;==;__Host-refresh=;__Host-refresh",
    ),
    accept: fc.constantFrom("", "text/html", "application/json", "*/*"),
    authorization: fc.constantFrom(
      "",
      `Bearer ${access}`,
      "Bearer ",
      "Bearer x.y.z",
      "Bearer eyJhbGciOiJub25lIn0.e30.",
      `Bearer ${"e".repeat(5000)}`,
      "Basic Og==",
    ),
    origin: fc.constantFrom("", ISSUER, "https://evil.example", "null", "https://x-app.preview.test"),
    "sec-fetch-site": fc.constantFrom("", "same-origin", "cross-site", "none"),
    "sec-fetch-mode": fc.constantFrom("", "navigate", "cors", "websocket"),
    "access-control-request-method": fc.constantFrom("", "POST", "GET"),
    "content-type": fc.constantFrom(
      "",
      "application/json",
      "application/x-www-form-urlencoded",
      "application/secevent+jwt",
    ),
    "x-http-method-override": fc.constantFrom("", "DELETE"),
    "x-auth-user-email": fc.constantFrom("", "evil@example.com"),
    // WebSocket upgrades have their own tests: the echo origin behind ORIGIN_URL cannot answer 101.
    upgrade: fc.constantFrom("", "h2c"),
    connection: fc.constantFrom("", "upgrade", "keep-alive, x-auth-user-sub"),
    expect: fc.constantFrom("", "100-continue"),
  });
  return fc.record({
    policy: fc.boolean(),
    method: fc.constantFrom(...METHODS),
    path,
    query,
    headers: headers.map((all) => Object.fromEntries(Object.entries(all).filter(([, value]) => value !== ""))),
    body: fc.string({ maxLength: 64 }),
  });
}

/** Requests that once broke something somewhere, checked on every run before the generated ones. */
const KNOWN_BAD: Partial<Sent>[] = [
  { path: "/%" },
  { path: "/%ff%fe", query: "?%zz=%" },
  { path: "/a", query: "?return_to=%00", headers: { accept: "text/html" } },
  { path: "/a/../b" },
  { path: "//x" },
  { path: "/auth/login", query: "?return_to=%E0%A4%A" },
  { path: "/auth/login", query: "?return_to=/a&return_to=/b" },
  { path: "/auth/callback", query: "?state=&code=" },
  { path: "/auth/callback", query: "?state=a&state=b&code=c" },
  { path: "/auth/callback", query: `?state=${LONG_STATE}&code=c` },
  { path: "/auth/callback", query: "?error=%3Cscript%3E", headers: { accept: "text/html" } },
  { path: "/auth/me", headers: { cookie: `__Host-access=${LONG_TOKEN}` } },
  { path: "/auth/me", headers: { cookie: "__Host-access=a.b.c; __Host-access=d.e.f" } },
  { path: "/auth/me", headers: { cookie: ";;;=;==;__Host-refresh=;__Host-refresh" } },
  { path: "/x", headers: { authorization: "Bearer " } },
  { path: "/x", headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } },
  { path: "/x", headers: { authorization: `Bearer ${"A".repeat(20_000)}` } },
  { path: "/x", headers: { cookie: "__Host-refresh=../../family:x" } },
  { path: "/x", headers: { cookie: `__Host-refresh=${"A".repeat(43)}` } },
  { method: "POST", path: "/auth/refresh", headers: { cookie: "__Host-refresh=%00%ff" } },
  {
    method: "POST",
    path: "/auth/logout",
    headers: { cookie: "__Host-access=x; __Host-refresh=y", origin: "null" },
  },
  { method: "PUT", path: "/auth/logout" },
  { path: "/auth/nope" },
  { method: "POST", path: "/.well-known/jwks.json" },
  // A navigation to an escaped slash: the sign-in redirect, then the login page it points to.
  { path: "/%2f", headers: { accept: "text/html", "sec-fetch-mode": "navigate" } },
];
const sent = (partial: Partial<Sent>): Sent => ({
  policy: false,
  method: "GET",
  path: "/",
  query: "",
  headers: {},
  body: "",
  ...partial,
});

/** Where a redirect of ours points on our own origin, if it does (the next step a browser takes). */
function ownRedirect(response: Response): string | undefined {
  const location = response.headers.get("location");
  if (response.status < 300 || response.status > 399 || !location) return undefined;
  const target = new URL(location, ISSUER);
  return target.origin === ISSUER ? target.pathname + target.search : undefined;
}

/**
 * The echo origin behind the ORIGIN service binding, inside workerd: behind ORIGIN_URL it is
 * reached through Miniflare's loopback to this process, whose HTTP parser cuts off a request of
 * more than 16 KB of headers and query ("Network connection lost"), a limit of the test's plumbing
 * that no origin of a deployment has to share.
 */
const THROUGH_BINDING = ORIGIN_PATHS[1].bindings;

/** The echo origin sets this cookie on every answer: an answer without it is the worker's own. */
const fromOrigin = (response: Response) =>
  response.headers.getSetCookie().some((value) => value.startsWith("origin_a="));

/** Neither a 5xx nor an exception; and an answer of the worker's own repeats nothing sent. */
async function expectAnswered(response: Response, what: string): Promise<void> {
  expect(response.status, `${what} answered ${response.status}`).toBeLessThan(500);
  const body = await response.text();
  if (!fromOrigin(response)) expect(body, `${what} answered with what was sent`).not.toMatch(REFLECTED);
}

describe("whatever a client sends, on every route, no answer is a 5xx and none repeats it", () => {
  it(
    "any method, path, query, return_to, cookies, headers and body, under two configurations, and the redirect that follows",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const routes = await ownRoutes();
      // A person of the suite's own: generated requests sign them out everywhere (scope=all).
      const { access, refresh } = await signedIn(newPerson());
      // Every route with every method (its own and the others), on every run, then generated requests.
      const examples = [
        ...routes.flatMap(({ path }) => METHODS.map((method) => sent({ method, path }))),
        ...KNOWN_BAD.map(sent),
      ].map((each): [Sent] => [each]);
      const reached = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          requests([...routes.map(({ path }) => path), ...GATE_PATHS], access, refresh),
          async ({ policy, method, path, query, headers, body }) => {
            let url: URL;
            try {
              url = new URL(`${ISSUER}${path}${query}`);
            } catch {
              return; // Not a request a client can send: no URL.
            }
            const bindings = { ...THROUGH_BINDING, ...(policy ? POLICY_BINDINGS : {}) };
            const init: RequestInit = { method, headers };
            if (method !== "GET" && method !== "HEAD") init.body = body;
            const what = `${method} ${url.pathname}${url.search}`;
            const response = await callWith(bindings, url.pathname + url.search, init);
            reached.add(`${method} ${url.pathname}`);
            await expectAnswered(response, what);
            const next = ownRedirect(response);
            if (next === undefined) return;
            const followed = await callWith(bindings, next, {
              headers: { accept: "text/html", "sec-fetch-mode": "navigate" },
            });
            await expectAnswered(followed, `GET ${next} after ${what}`);
          },
        ),
        { seed: SEED, numRuns: REQUEST_RUNS + examples.length, examples },
      );
      // Every route was asked with each of its methods (HEAD too, for GET routes).
      for (const { path, methods } of routes)
        for (const method of methods.includes("GET") ? [...methods, "HEAD"] : methods)
          expect(reached, `${method} ${path}`).toContain(`${method} ${path}`);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// The helpers that read what a client sends
// ---------------------------------------------------------------------------------------------

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

/** Anything a URL parser, a path matcher or a host pattern may meet. */
const anything = fc.oneof(
  fc.string({ maxLength: 120 }),
  joined([...PATH_PARTS, ...REDIRECT_PARTS, "https://", "http://", "[", "]", ":443", "*", "-"], 20),
);
const HELPERS = { seed: SEED, numRuns: HELPER_RUNS };

describe("the helpers that read what a client sends keep their promises on any input", () => {
  it("safeReturnTo always yields a path on our own origin", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          tricky(REDIRECT_PARTS),
          fc.tuple(joined(REDIRECT_PARTS, 10), fc.constantFrom(...encodings)).map(([raw, encode]) => encode(raw)),
          anything.map((text) => `/${text}`),
        ),
        (raw) => {
          const result = safeReturnTo(raw, "/auth");
          expect(result.startsWith("/")).toBe(true);
          expect(result.startsWith("//")).toBe(false);
          expect(result.includes("\\")).toBe(false);
          expect(new URL(result, ISSUER).origin).toBe(ISSUER);
        },
      ),
      HELPERS,
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
          const sentAccess = pairs.filter((pair) => pair.name === "__Host-access");
          const read = jar.get("__Host-access");
          if (sentAccess.length === 1 && sentAccess[0]!.value !== "") expect(read).toBe(sentAccess[0]!.value);
          else expect(read).toBeUndefined();
          const stripped = jar.forOrigin();
          expect(namedPairs(stripped)).toEqual(pairs.filter(({ name }) => !isWorkerCookieName(name)));
          // Ours, spelled independently of isWorkerCookieName: any case, as browsers may send.
          for (const { name } of namedPairs(stripped))
            expect(name.toLowerCase()).not.toMatch(/^__host-(access$|refresh$|login-)/);
        },
      ),
      HELPERS,
    );
  });

  it("public-path matching only matches configured paths; the access and preflight decisions and reading a request take any path and method", async () => {
    // The unit configuration's PUBLIC_PATHS ("/healthz,/public/*"), decided as the gate decides.
    const { policy } = await testConfig();
    const seen = { matched: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.oneof(tricky(["/", "public", "healthz", ".", "..", "%2e", "%2f", ";", "\\", "x"]), anything),
        fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 10 })),
        (tail, method) => {
          const path = `/${tail}`;
          const decision = accessDecision(policy, path, method);
          if (decision.public) expect(path === "/healthz" || path.startsWith("/public/")).toBe(true);
          else expect(decision.rules.length).toBeGreaterThan(0);
          seen[decision.public ? "matched" : "refused"]++;
          expect(typeof preflightPasses(policy, path, method)).toBe("boolean");
          let request: Request;
          try {
            request = new Request(`${ISSUER}${path}`);
          } catch {
            return;
          }
          expect(readRequest(request, ISSUER).url.origin).toBe(ISSUER);
        },
      ),
      HELPERS,
    );
    // Both outcomes occurred, so the check on a match ran and was not vacuous.
    expect(seen.matched).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it("bearer extraction takes only a token after the scheme, and access-token verification refuses garbage with a code", async () => {
    const config = await testConfig();
    let extracted = 0;
    await fc.assert(
      fc.asyncProperty(tricky(["Bearer ", "eyJ", ".", "-", "_", "=", "a", " "]), async (value) => {
        const request = new Request(`${ISSUER}/`, { headers: { authorization: value.replace(/[\r\n\0]/g, "") } });
        const token = readRequest(request, ISSUER).bearer;
        const nowSeconds = Math.floor(Date.now() / 1000);
        if (token !== undefined) {
          extracted++;
          // Only a token-shaped string after the Bearer scheme, taken from the header itself.
          expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
          expect(request.headers.get("authorization")!.trim()).toMatch(/^bearer +/i);
          expect(request.headers.get("authorization")!.trim().endsWith(token)).toBe(true);
          await expect(
            verifiedAccessToken(config, config.sessionKeys!, ISSUER, token, nowSeconds),
          ).rejects.toHaveProperty("code");
        }
        await expect(
          verifiedAccessToken(config, config.sessionKeys!, ISSUER, value, nowSeconds),
        ).rejects.toHaveProperty("code");
      }),
      { seed: SEED, numRuns: HELPER_RUNS / 4 },
    );
    // Some garbage did look like a bearer token, so the checks on an extracted one ran.
    expect(extracted).toBeGreaterThan(0);
  });

  it("preview origins and the patterns, public paths and policy paths of the configuration take anything", () => {
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
      HELPERS,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Any value of any setting
// ---------------------------------------------------------------------------------------------

describe("any value of any setting is served or reported, never thrown", () => {
  it(
    "the parser names the setting it refuses, and the worker agrees: it serves what the parser accepts, and answers the misconfigured page, naming no value, to what it refuses",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const verdicts = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...CONFIG_NAMES),
          tricky(["{", "}", '"keys"', "[", "]", ",", "*", "/", "http://", "https://", "0", "-1", "true", "auto"]),
          async (name, value) => {
            const env = { ...testEnv, [name]: value } as Env;
            const result = await parseConfig(env);
            // Only `name` differs from a valid configuration, so a refusal must name it.
            if (!result.ok) expect(result.problems.join("\n")).toContain(name);
            verdicts[result.ok ? "accepted" : "refused"]++;
            const json = { headers: { accept: "application/json" } };
            if (result.ok) {
              // Served: the health route answers from a parsed configuration (its provider may be unreachable).
              const health = await callWith({ [name]: value }, `${result.config.authPrefix}/health`, json);
              expect([200, 503]).toContain(health.status);
              expect(await health.json()).toMatchObject({ config: "valid" });
            } else {
              // The health route stays where it was, unless the refused setting is its prefix.
              if (name !== "AUTH_PREFIX") {
                const health = await callWith({ [name]: value }, "/auth/health", json);
                expect(health.status).toBe(500);
                expect(await health.json()).toEqual({ status: "error", config: "invalid", provider: "unknown" });
              }
              const page = await callWith({ [name]: value }, "/x", { headers: { accept: "text/html" } });
              expect(page.status).toBe(500);
              const html = await page.text();
              expect(html).toContain("not configured correctly");
              if (value.length >= 8) expect(html).not.toContain(value);
            }
          },
        ),
        { seed: SEED, numRuns: CONFIG_RUNS },
      );
      // Both verdicts occurred, so each branch's checks ran.
      expect(verdicts.accepted).toBeGreaterThan(0);
      expect(verdicts.refused).toBeGreaterThan(0);
    },
  );
});

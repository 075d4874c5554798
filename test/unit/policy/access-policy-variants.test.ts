import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/parse-config";
import { accessDecision } from "../../../src/policy/access-decision";
import { formatSuffixWarnings } from "../../../src/policy/format-suffix-warnings";
import { callWith, signedIn, testEnv } from "../../support/workerd/helpers";

/**
 * Variants of a path that origins serve as the path itself: with or without a trailing slash
 * (most routers), with trailing dots or spaces in a segment (IIS and Windows file systems). A rule
 * cannot be skipped through them, and a looser rule never decides them. The default rule is the
 * test bindings' ALLOWED_EMAILS=ada@example.com, ALLOWED_DOMAINS=example.org.
 */
const DEFAULT = "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)";
const RULES = [
  { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
  { path: "/api/deploy", methods: ["POST"], allow: { emails: ["boss@example.com"] } },
  { path: "/landing", public: true },
  { path: "/landing/*", allow: { emails: ["boss@example.com"] } },
  { path: "/status", public: true },
  { path: "/assets/*", public: true },
];

async function decidedBy(rules: object[], method: string, path: string): Promise<string | string[]> {
  const result = await parseConfig({ ...testEnv, ACCESS_POLICY: JSON.stringify(rules) });
  if (!result.ok) throw new Error(result.problems.join("; "));
  const decision = accessDecision(result.config.policy, path, method);
  return decision.public
    ? "public"
    : decision.rules.map((rule) => rule.label.replace(/^ACCESS_POLICY\[\d+\] /, "")).sort();
}

describe("a path with and without its trailing slash", () => {
  it.each([
    ["GET", "/admin", ['"/admin/*"']],
    ["GET", "/admin/", ['"/admin/*"']],
    ["GET", "/ADMIN", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/%61dmin", ['"/admin/*"', DEFAULT].sort()],
    ["POST", "/api/deploy", ['"/api/deploy"']],
    ["POST", "/api/deploy/", ['"/api/deploy"']],
    ["POST", "/API/Deploy/", ['"/api/deploy"', DEFAULT].sort()],
    ["GET", "/api/deploy/", [DEFAULT]],
    // An exact rule and a prefix rule on the same path: each variant must pass both.
    ["GET", "/landing", ['"/landing/*"']],
    ["GET", "/landing/", ['"/landing/*"']],
    ["GET", "/landing/x", ['"/landing/*"']],
  ])("%s %s is decided by %j", async (method, path, expected) => {
    expect(await decidedBy(RULES, method, path)).toEqual(expected);
  });

  it("opens nothing a public rule did not list: its variants keep their own rule", async () => {
    expect(await decidedBy(RULES, "GET", "/status")).toBe("public");
    expect(await decidedBy(RULES, "GET", "/status/")).toEqual([DEFAULT]);
    expect(await decidedBy(RULES, "GET", "/assets/app.js")).toBe("public");
    expect(await decidedBy(RULES, "GET", "/assets")).toEqual([DEFAULT]);
  });
});

describe("trailing dots and spaces in a segment (IIS reads /admin./x and /admin%20 as /admin/x and /admin)", () => {
  it.each([
    ["GET", "/admin./x", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin%20", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin.%20./users", ['"/admin/*"', DEFAULT].sort()],
    ["POST", "/api/deploy.", ['"/api/deploy"', DEFAULT].sort()],
    ["GET", "/assets/app.js.", "public"],
  ])("%s %s is decided by %j", async (method, path, expected) => {
    expect(await decidedBy(RULES, method, path)).toEqual(expected);
  });
});

describe("NTFS names: a stream after a colon, 8.3 short names (IIS and Windows file systems)", () => {
  it.each([
    // `name::$INDEX_ALLOCATION` is the directory `name`, `name::$DATA` the file `name`: the
    // segment up to its first colon is a reading, escaped or not.
    ["GET", "/admin::$INDEX_ALLOCATION/x", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin:$I30:$INDEX_ALLOCATION/users", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin%3a%3a$INDEX_ALLOCATION/x", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/ADMIN%3A%3A$Index_Allocation/x", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin::$DATA", ['"/admin/*"', DEFAULT].sort()],
    ["GET", "/admin.::$DATA/x", ['"/admin/*"', DEFAULT].sort()],
    ["POST", "/api/deploy::$DATA", ['"/api/deploy"', DEFAULT].sort()],
    ["GET", "/assets/app.js::$DATA", "public"],
    // A colon that names nothing else keeps the path's own rule (custom methods, `/v1/items:get`).
    ["GET", "/v1/items:batchGet", [DEFAULT]],
    // A short name (`ADMINI~1` for `administration`) may stand for any name it abbreviates: the
    // path needs every rule for its method, and is never public.
    ["GET", "/ADMINI~1/x", ['"/admin/*"', '"/landing/*"', DEFAULT].sort()],
    ["GET", "/assets/APP~1.JS", ['"/admin/*"', '"/landing/*"', DEFAULT].sort()],
    ["GET", "/assets/app%7E1.js", ['"/admin/*"', '"/landing/*"', DEFAULT].sort()],
    ["POST", "/api/DEPLOY~2", ['"/admin/*"', '"/api/deploy"', '"/landing/*"', DEFAULT].sort()],
    // A tilde that is no short name keeps the path's own rule (home directories, backup files).
    ["GET", "/~ada/notes", [DEFAULT]],
    ["GET", "/assets/app.js~", "public"],
  ])("%s %s is decided by %j", async (method, path, expected) => {
    expect(await decidedBy(RULES, method, path)).toEqual(expected);
  });
});

describe("at the gate", () => {
  const withPolicy = (path: string, init: RequestInit) =>
    callWith({ ACCESS_POLICY: JSON.stringify(RULES) }, path, init);

  it("refuses someone only the default rule admits on every variant of /admin, and lets the admin's rule's person through", async () => {
    const ada = await signedIn();
    for (const path of ["/admin", "/admin/", "/admin./users", "/admin%20", "/Admin"]) {
      expect([path, (await withPolicy(path, { headers: { cookie: ada.cookie } })).status]).toEqual([path, 403]);
    }
    const boss = await signedIn({ provider: "default", sub: "2002", email: "boss@example.com" });
    for (const path of ["/admin", "/admin/"]) {
      expect([path, (await withPolicy(path, { headers: { cookie: boss.cookie } })).status]).toEqual([path, 200]);
    }
  });

  it("refuses someone only the default rule admits on /admin's NTFS names", async () => {
    const ada = await signedIn();
    for (const path of ["/admin::$INDEX_ALLOCATION/users", "/admin%3A%3A$INDEX_ALLOCATION/users", "/ADMINI~1/users"]) {
      expect([path, (await withPolicy(path, { headers: { cookie: ada.cookie } })).status]).toEqual([path, 403]);
    }
    expect((await withPolicy("/v1/items:batchGet", { headers: { cookie: ada.cookie } })).status).toBe(200);
  });

  it("refuses a POST to /api/deploy/ that the exact rule refuses at /api/deploy", async () => {
    const ada = await signedIn();
    for (const path of ["/api/deploy", "/api/deploy/", "/api/deploy."]) {
      expect([path, (await withPolicy(path, { method: "POST", headers: { cookie: ada.cookie } })).status]).toEqual([
        path,
        403,
      ]);
    }
  });
});

describe("format suffixes (`/admin.json` is `/admin` to Rails): a warning from npm run check, not a reading", () => {
  async function warningsFor(rules: object[]) {
    const result = await parseConfig({ ...testEnv, ACCESS_POLICY: JSON.stringify(rules) });
    if (!result.ok) throw new Error(result.problems.join("; "));
    return formatSuffixWarnings(result.config.policy);
  }

  it("stays quiet where the variant falls to a rule of the same organisation (the README's example)", async () => {
    // testEnv's default rule: ada@example.com and the domain example.org, not everyone.
    expect(await warningsFor(RULES)).toEqual([]);
  });

  it("warns, in a person's words, where the variant is open to anyone or to any Google account", async () => {
    const underPublic = [
      { path: "/docs/*", public: true },
      { path: "/docs/internal/*", allow: { emails: ["boss@example.com"] } },
    ];
    expect(await warningsFor(underPublic)).toEqual([
      'ACCESS_POLICY[1] "/docs/internal/*": anyone can open "/docs/internal.json" without signing in: it falls to a public rule. An origin that reads ".json" as a format, as Rails does, serves /docs/internal there; if yours does, add a rule for "/docs/internal.json" with the same "allow", else ignore this.',
    ]);
    const result = await parseConfig({
      ...testEnv,
      ALLOWED_EMAILS: "",
      ALLOWED_DOMAINS: "*",
      ACCESS_POLICY: JSON.stringify([{ path: "/admin", allow: { emails: ["boss@example.com"] } }]),
    });
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(formatSuffixWarnings(result.config.policy)).toEqual([
      'ACCESS_POLICY[0] "/admin": any account with a verified e-mail can open "/admin.json": it is decided by the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS), which admits them. An origin that reads ".json" as a format, as Rails does, serves /admin there; if yours does, add a rule for "/admin.json" with the same "allow", else ignore this.',
    ]);
  });

  it("stays quiet where the variant's rule admits no one more, or a rule names the variant", async () => {
    expect(
      await warningsFor([{ path: "/reports/*", allow: { emails: ["ada@example.com"], domains: ["example.org"] } }]),
    ).toEqual([]);
    const named = [
      { path: "/admin/*", allow: { emails: ["boss@example.com"] } },
      { path: "/admin.json", allow: { emails: ["boss@example.com"] } },
    ];
    expect(await warningsFor(named)).toEqual([]);
  });
});

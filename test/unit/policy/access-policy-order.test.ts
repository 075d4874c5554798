import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/parse-config";
import type { Identity } from "../../../src/identity";
import { accessDecision, isAdmitted } from "../../../src/policy/access-decision";
import { isAllowed } from "../../../src/policy/allowlist";
import { serviceAccountKey, testEnv } from "../../support/workerd/helpers";

/**
 * The most specific rule decides (docs/access-policies.md): exact over prefix, longer prefix over shorter, a
 * rule with methods over one without, whatever order they are written in. The default rule is
 * the test bindings' ALLOWED_EMAILS=ada@example.com, ALLOWED_DOMAINS=example.org; PUBLIC_PATHS
 * are /healthz and /public/*.
 */
const RULES = [
  { path: "/docs/*", allow: { emails: ["docs@example.com"] } },
  { path: "/docs/internal/*", allow: { emails: ["internal@example.com"] } },
  { path: "/docs/internal/handbook", public: true },
  { path: "/docs/internal/deploy", methods: ["POST"], allow: { emails: ["deployer@example.com"] } },
  { path: "/docs/internal/deploy", allow: { emails: ["reader@example.com"] } },
  { path: "/public/secret", allow: { emails: ["internal@example.com"] } },
  { path: "/Case/*", allow: { emails: ["internal@example.com"] } },
];

async function policyOf(rules: object[]) {
  const result = await parseConfig({ ...testEnv, ACCESS_POLICY: JSON.stringify(rules) });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config.policy;
}

/** Who decides `method path`: "public", or the labels of the rules that must all admit. */
async function decidedBy(rules: object[], method: string, path: string): Promise<string | string[]> {
  const decision = accessDecision(await policyOf(rules), path, method);
  return decision.public ? "public" : decision.rules.map((rule) => rule.label.replace(/^ACCESS_POLICY\[\d+\] /, ""));
}

const person = (email: string, extra: Partial<Identity> = {}): Identity => ({
  provider: "default",
  sub: email,
  email,
  ...extra,
});

describe("the most specific rule decides", () => {
  it.each([
    ["GET", "/docs/guide", ['"/docs/*"']],
    ["GET", "/docs/internal/notes", ['"/docs/internal/*"']],
    ["GET", "/docs/internal/handbook", "public"],
    ["GET", "/docs/internal/handbook/more", ['"/docs/internal/*"']],
    ["POST", "/docs/internal/deploy", ['"/docs/internal/deploy"']],
    ["GET", "/docs/internal/deploy", ['"/docs/internal/deploy"']],
    // A rule `P/*` decides `P` itself too: most routers serve `/docs` as `/docs/`.
    ["GET", "/docs", ['"/docs/*"']],
    ["GET", "/public/x", "public"],
    ["GET", "/public/secret", ['"/public/secret"']],
    ["GET", "/elsewhere", ["the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)"]],
  ])("%s %s: %j", async (method, path, expected) => {
    expect(await decidedBy(RULES, method, path)).toEqual(expected);
  });

  it("does not depend on the order the rules are written in", async () => {
    const reversed = [...RULES].reverse();
    for (const [method, path] of [
      ["GET", "/docs/guide"],
      ["GET", "/docs/internal/notes"],
      ["GET", "/docs/internal/handbook"],
      ["POST", "/docs/internal/deploy"],
      ["GET", "/docs/internal/deploy"],
      ["GET", "/public/secret"],
    ] as const) {
      expect(await decidedBy(reversed, method, path)).toEqual(await decidedBy(RULES, method, path));
    }
  });

  it("tells the methods apart: the POST rule decides POST, the other rule the rest", async () => {
    const policy = await policyOf(RULES);
    const post = accessDecision(policy, "/docs/internal/deploy", "POST");
    const get = accessDecision(policy, "/docs/internal/deploy", "GET");
    expect(isAdmitted(post, person("deployer@example.com"))).toBe(true);
    expect(isAdmitted(post, person("reader@example.com"))).toBe(false);
    expect(isAdmitted(get, person("reader@example.com"))).toBe(true);
    expect(isAdmitted(get, person("deployer@example.com"))).toBe(false);
  });

  it("applies a GET rule to HEAD too: HEAD tells what GET would", async () => {
    const rules = [{ path: "/report", methods: ["GET"], allow: { emails: ["boss@example.com"] } }];
    expect(await decidedBy(rules, "HEAD", "/report")).toEqual(['"/report"']);
    expect(await decidedBy(rules, "DELETE", "/report")).toEqual([
      "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
    ]);
  });

  it("a public rule with methods opens only those methods", async () => {
    const rules = [{ path: "/hooks/github", methods: ["POST"], public: true }];
    expect(await decidedBy(rules, "POST", "/hooks/github")).toBe("public");
    expect(await decidedBy(rules, "GET", "/hooks/github")).toEqual([
      "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
    ]);
  });
});

describe("a rule cannot be skipped by spelling its path another way", () => {
  it("needs the rule of every reading an origin might make: as sent, with plain escapes decoded, case-folded", async () => {
    expect(await decidedBy(RULES, "GET", "/%64ocs/internal/notes")).toEqual([
      "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
      '"/docs/internal/*"',
    ]);
    expect(await decidedBy(RULES, "GET", "/DOCS/Internal/notes")).toEqual([
      "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
      '"/docs/internal/*"',
    ]);
    expect(await decidedBy(RULES, "GET", "/case/x")).toEqual([
      "the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)",
      '"/Case/*"',
    ]);
    // A public rule is public only when every reading is public.
    expect(await decidedBy(RULES, "GET", "/Public/x")).toEqual(["the default rule (ALLOWED_EMAILS / ALLOWED_DOMAINS)"]);
  });

  it.each([
    "/docs/internal%2fnotes",
    "/public/..%2fdocs/internal/x",
    "/public/x;/../docs",
    "/public//docs",
    "/public/%252e",
  ])("an ambiguous path (%s) is never public and needs every rule for its method", async (path) => {
    const decision = accessDecision(await policyOf(RULES), path, "GET");
    expect(decision.public).toBe(false);
    if (decision.public) return;
    expect(decision.rules.map((rule) => rule.label)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"/docs/internal/*"'),
        expect.stringContaining('"/docs/*"'),
        expect.stringContaining("default"),
      ]),
    );
    // The POST-only rule has nothing to say about a GET.
    expect(decision.rules.some((rule) => rule.methods !== undefined && !rule.methods.has("GET"))).toBe(false);
  });
});

describe("who may sign in", () => {
  it("anyone some rule admits, even if not the default rule", async () => {
    const policy = await policyOf(RULES);
    expect(isAllowed(policy, person("internal@example.com"))).toBe(true);
    expect(isAllowed(policy, person("ada@example.com"))).toBe(true);
    expect(isAllowed(policy, person("someone@example.org", { hd: "example.org" }))).toBe(true);
    expect(isAllowed(policy, person("stranger@example.net"))).toBe(false);
  });

  it("a group admits only through the groups the directory found", async () => {
    const rules = [{ path: "/eng/*", allow: { groups: ["eng@example.com"] } }];
    const result = await parseConfig({
      ...testEnv,
      ACCESS_POLICY: JSON.stringify(rules),
      GOOGLE_GROUPS_CREDENTIALS: await serviceAccountKey(),
    });
    if (!result.ok) throw new Error(result.problems.join());
    const policy = result.config.policy;
    expect(policy.groups).toEqual(["eng@example.com"]);
    const eng = accessDecision(policy, "/eng/x", "GET");
    expect(isAdmitted(eng, person("g@example.net", { groups: ["eng@example.com"] }))).toBe(true);
    expect(isAdmitted(eng, person("g@example.net", { groups: ["sales@example.com"] }))).toBe(false);
    expect(isAdmitted(eng, person("g@example.net"))).toBe(false);
    expect(isAllowed(policy, person("g@example.net", { groups: ["eng@example.com"] }))).toBe(true);
  });
});

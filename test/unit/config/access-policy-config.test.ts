import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { parseConfig } from "../../../src/config/parse-config";
import schema from "../../../schema/access-policy.schema.json";
import { expectExactlyProblems, serviceAccountKey, testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

async function problemsFor(policy: unknown, extra: Record<string, unknown> = {}): Promise<string[]> {
  const result = await parseConfig({
    ...testEnv,
    ACCESS_POLICY: typeof policy === "string" ? policy : JSON.stringify(policy),
    ...extra,
  });
  return result.ok ? [] : result.problems;
}

describe("ACCESS_POLICY, checked", () => {
  it("accepts the documented example shapes, as a string or as wrangler's parsed JSON var", async () => {
    const policy = [
      { path: "/admin/*", allow: { emails: ["boss@example.com"], domains: ["corp.example"] } },
      { path: "/api/deploy", methods: ["POST"], allow: { emails: ["ci@example.com"] } },
      { path: "/status", public: true },
    ];
    expect(await problemsFor(policy)).toEqual([]);
    const parsed = await parseConfig({ ...testEnv, ACCESS_POLICY: policy as never });
    expect(parsed.ok).toBe(true);
  });

  it("reports every problem of every rule at once, each naming the rule and saying what to do", async () => {
    const problems = await problemsFor([
      { path: "/a", allow: { emails: ["a@example.com"] }, comment: "x" },
      { path: "/b", allow: { emails: ["b@example.com"], roles: ["admin"] } },
      { path: "/c" },
      { path: "/d", public: true, allow: { emails: ["d@example.com"] } },
      { path: "d", allow: { emails: ["d@example.com"] } },
      { path: "/e", methods: [], allow: { emails: ["e@example.com"] } },
      { path: "/f", allow: {} },
      { path: "/g", allow: { emails: ["not-an-address"], domains: ["not a domain"] } },
      "just a string",
    ]);
    const expected = [
      /^ACCESS_POLICY\[0\] "\/a": unknown key "comment"/,
      /^ACCESS_POLICY\[1\] "\/b" "allow": unknown key "roles"/,
      /^ACCESS_POLICY\[2\] "\/c": needs "allow" \(who may pass\) or "public": true/,
      /^ACCESS_POLICY\[3\] "\/d": has both "public" and "allow"/,
      /^ACCESS_POLICY\[4\] "d": "path" must be a plain absolute path/,
      /^ACCESS_POLICY\[5\] "\/e" "methods": empty; leave "methods" out/,
      /^ACCESS_POLICY\[6\] "\/f" "allow": admits nobody/,
      /^ACCESS_POLICY\[7\] "\/g": "not-an-address" is not an e-mail address/,
      /^ACCESS_POLICY\[7\] "\/g": "not a domain" is not a domain/,
      /^ACCESS_POLICY\[8\]: must be an object/,
    ];
    expectExactlyProblems(problems, expected);
  });

  it("refuses an empty entry in every list, as not what the list holds", async () => {
    const problems = await problemsFor([
      { path: "/h", methods: [""], allow: { emails: [" "], domains: [""], groups: [""] } },
      { path: "/w", allow: { workloads: [""] } },
      { path: "/n", allow: { emails: "a@example.com" } },
    ]);
    expectExactlyProblems(problems, [
      /^ACCESS_POLICY\[0\] "\/h" "methods": "" is not an HTTP method/,
      /^ACCESS_POLICY\[0\] "\/h": "" is not an e-mail address/,
      /^ACCESS_POLICY\[0\] "\/h": "" is not a domain/,
      /^ACCESS_POLICY\[0\] "\/h": group "" is not a group's e-mail address/,
      /^ACCESS_POLICY\[1\] "\/w": workload "" is not defined in TRUSTED_WORKLOADS/,
      /^ACCESS_POLICY\[2\] "\/n" "allow.emails": must be an array of strings/,
      /^ACCESS_POLICY\[2\] "\/n" "allow": admits nobody/,
    ]);
  });

  it("refuses JSON that is not an array of rules", async () => {
    expect(await problemsFor("[{")).toEqual([expect.stringMatching(/^ACCESS_POLICY: not valid JSON/)]);
    expect(await problemsFor({ path: "/a" })).toEqual([expect.stringMatching(/^ACCESS_POLICY: must be a JSON array/)]);
  });

  it("reports a rule that can never decide anything: the same path and methods as another, PUBLIC_PATHS included", async () => {
    const problems = await problemsFor([
      { path: "/reports/*", allow: { emails: ["a@example.com"] } },
      { path: "/reports/*", allow: { emails: ["b@example.com"] } },
      { path: "/deploy", methods: ["POST", "PUT"], allow: { emails: ["a@example.com"] } },
      { path: "/deploy", methods: ["put"], allow: { emails: ["b@example.com"] } },
      { path: "/deploy", methods: ["GET"], allow: { emails: ["b@example.com"] } },
      { path: "/healthz", allow: { emails: ["a@example.com"] } },
    ]);
    expect(problems).toEqual([
      expect.stringMatching(
        /^ACCESS_POLICY\[1\] "\/reports\/\*": unreachable: ACCESS_POLICY\[0\] "\/reports\/\*" has the same path.*merge the two$/,
      ),
      expect.stringMatching(
        /^ACCESS_POLICY\[3\] "\/deploy": unreachable for PUT: ACCESS_POLICY\[2\] "\/deploy" has the same path and methods/,
      ),
      expect.stringMatching(/^ACCESS_POLICY\[5\] "\/healthz": unreachable: PUBLIC_PATHS "\/healthz" has the same path/),
    ]);
  });

  it.each([
    [{ path: "/*", public: true }],
    [{ path: "/*", methods: ["GET"], public: true }],
    [{ path: "/", public: true }],
  ])("refuses a public rule over the whole site: %j", async (rule) => {
    expect(await problemsFor([rule])).toEqual([
      expect.stringMatching(/would make the whole site \(or its home page\) public/),
    ]);
  });

  it("reports a group rule without GOOGLE_GROUPS_CREDENTIALS, and accepts it with them", async () => {
    const policy = [{ path: "/eng/*", allow: { groups: ["eng@example.com"] } }];
    expect(await problemsFor(policy)).toEqual([
      expect.stringMatching(/^ACCESS_POLICY\[0\] "\/eng\/\*": names groups, but GOOGLE_GROUPS_CREDENTIALS is not set/),
    ]);
    expect(await problemsFor(policy, { GOOGLE_GROUPS_CREDENTIALS: await serviceAccountKey() })).toEqual([]);
  });

  it("reports a broken service-account key without quoting it", async () => {
    const problems = await problemsFor([], {
      GOOGLE_GROUPS_CREDENTIALS: JSON.stringify({
        type: "service_account",
        client_email: "sa@p.iam.gserviceaccount.com",
        private_key: "secret-bytes",
      }),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^GOOGLE_GROUPS_CREDENTIALS: "private_key" is not an RSA private key/),
    ]);
    expect(problems.join()).not.toContain("secret-bytes");
  });

  it("accepts workloads only when TRUSTED_WORKLOADS defines them", async () => {
    const policy = [{ path: "/api/deploy", methods: ["POST"], allow: { workloads: ["ci-main"] } }];
    expect(await problemsFor(policy)).toEqual([
      expect.stringMatching(
        /workload "ci-main" is not defined in TRUSTED_WORKLOADS \(defined: none\); define it there or remove it here$/,
      ),
    ]);
    const workloads = {
      "ci-main": {
        issuer: "https://token.actions.githubusercontent.com",
        audience: "https://app.test",
        claims: { repository: "org/app" },
      },
    };
    expect(await problemsFor(policy, { TRUSTED_WORKLOADS: JSON.stringify(workloads) })).toEqual([]);
    expect(
      await problemsFor([{ path: "/x", allow: { workloads: ["other"] } }], {
        TRUSTED_WORKLOADS: JSON.stringify(workloads),
      }),
    ).toEqual([
      expect.stringMatching(
        /workload "other" is not defined in TRUSTED_WORKLOADS \(defined: ci-main\); define it there/,
      ),
    ]);
  });

  it("lets a catch-all rule replace empty allowlists, and refuses empty allowlists without one", async () => {
    const catchAll = [{ path: "/*", allow: { domains: ["example.org"] } }];
    expect(await problemsFor(catchAll, { ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "" })).toEqual([]);
    const notCatchAll = [
      { path: "/*", methods: ["GET"], allow: { domains: ["example.org"] } },
      { path: "/*", public: true },
    ];
    for (const rules of [[], [notCatchAll[0]], [notCatchAll[1]]])
      expect(
        await problemsFor(rules, { ALLOWED_EMAILS: "", ALLOWED_DOMAINS: "" }),
        JSON.stringify(rules),
      ).toContainEqual(
        expect.stringMatching(/^ALLOWED_EMAILS and ALLOWED_DOMAINS are both empty: refusing to let anyone in/),
      );
  });

  it('takes "websocket": "relay" or "pass-through", and says what is wrong otherwise', async () => {
    const allow = { emails: ["a@example.com"] };
    const policy = [
      { path: "/live/*", allow, websocket: "pass-through" },
      { path: "/chat/*", allow, websocket: "relay" },
    ];
    expect(await problemsFor(policy)).toEqual([]);
    const parsed = await parseConfig({ ...testEnv, ACCESS_POLICY: JSON.stringify(policy) });
    const rules = parsed.ok ? parsed.config.policy.rules : [];
    expect(rules.find((rule) => rule.label.includes("/live/*"))?.webSocket).toBe("pass-through");
    expect(rules.find((rule) => rule.label.includes("/chat/*"))?.webSocket).toBeUndefined();
    const wrong = [
      { path: "/a", allow, websocket: "off" },
      { path: "/b", allow, websocket: true },
      { path: "/c", public: true, websocket: "off" },
    ];
    expect(await problemsFor(wrong)).toEqual([
      expect.stringMatching(/^ACCESS_POLICY\[0\] "\/a": "websocket" must be "relay" \(the default\) or "pass-through"/),
      expect.stringMatching(/^ACCESS_POLICY\[1\] "\/b": "websocket" must be "relay" \(the default\) or "pass-through"/),
      expect.stringMatching(/^ACCESS_POLICY\[2\] "\/c": "websocket" must be "relay" \(the default\) or "pass-through"/),
    ]);
    expect(schema.$defs.rule.properties.websocket.enum).toEqual(["relay", "pass-through"]);
  });

  it("agrees with the JSON Schema editors complete from: the same keys, and the schema's own example parses", async () => {
    const ruleKeys = ["allow", "maxAge", "methods", "path", "preflight", "public", "websocket"];
    expect(Object.keys(schema.$defs.rule.properties).sort()).toEqual(ruleKeys);
    expect(Object.keys(schema.$defs.allow.properties).sort()).toEqual([
      "domains",
      "emails",
      "groups",
      "providers",
      "workloads",
    ]);
    const examples = schema.$defs.rule.properties.path.examples.map((path) => ({
      path,
      allow: { emails: ["a@example.com"] },
    }));
    expect(await problemsFor(examples)).toEqual([]);
    expect(new RegExp(schema.$defs.rule.properties.path.pattern).test("/admin/*")).toBe(true);
    expect(new RegExp(schema.$defs.rule.properties.path.pattern).test("/admin*")).toBe(false);
  });
});

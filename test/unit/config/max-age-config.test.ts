import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/parse-config";
import { accessDecision, staleSignIn } from "../../../src/policy/access-decision";
import { ada, testEnv } from "../../support/workerd/helpers";

/** A rule's maxAge as the worker parses and applies it (docs/access-policies.md, "A fresh sign-in for sensitive paths"). */
async function parsed(policy: unknown) {
  return parseConfig({ ...testEnv, ACCESS_POLICY: JSON.stringify(policy) });
}

describe("maxAge", () => {
  it("takes whole seconds from a minute to a year, on a rule with allow only", async () => {
    const result = await parsed([
      { path: "/a", allow: { domains: ["*"] }, maxAge: 59 },
      { path: "/b", allow: { domains: ["*"] }, maxAge: 31_536_001 },
      { path: "/c", allow: { domains: ["*"] }, maxAge: "900" },
      { path: "/d", allow: { domains: ["*"] }, maxAge: 90.5 },
      { path: "/e", public: true, maxAge: 900 },
    ]);
    expect(result.ok ? [] : result.problems).toEqual([
      ...["/a", "/b", "/c", "/d"].map(
        (path, index) => `ACCESS_POLICY[${index}] "${path}": "maxAge" must be whole seconds from 60 to 31536000`,
      ),
      'ACCESS_POLICY[4] "/e": "maxAge" needs "allow" (public asks none)',
    ]);
  });

  it("asks for the maxAge of the rule that decides, and only of a sign-in older than it", async () => {
    const result = await parsed([
      { path: "/admin/*", allow: { domains: ["*"] }, maxAge: 900 },
      { path: "/admin/keys", allow: { domains: ["*"] }, maxAge: 120 },
    ]);
    if (!result.ok) throw new Error(result.problems.join("; "));
    const { policy } = result.config;
    const now = 1_800_000_000;
    const keys = accessDecision(policy, "/admin/keys", "GET");
    expect(staleSignIn(keys, { ...ada, authTime: now - 121 }, now)).toBe(120);
    expect(staleSignIn(keys, { ...ada, authTime: now - 120 }, now)).toBeUndefined();
    // A session whose provider never said when the person signed in is too old for any maxAge.
    expect(staleSignIn(accessDecision(policy, "/admin/x", "GET"), ada, now)).toBe(900);
    expect(staleSignIn(accessDecision(policy, "/home", "GET"), ada, now)).toBeUndefined();
  });
});

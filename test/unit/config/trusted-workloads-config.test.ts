import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { parseConfig } from "../../../src/config/parse-config";
import schema from "../../../schema/trusted-workloads.schema.json";
import { expectExactlyProblems, testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

const GITHUB = "https://token.actions.githubusercontent.com";
const ciMain = {
  issuer: GITHUB,
  audience: "https://app.test",
  claims: { repository: "org/app", ref: "refs/heads/main" },
};

async function problemsFor(workloads: unknown, policy: unknown = []): Promise<string[]> {
  const result = await parseConfig({
    ...testEnv,
    TRUSTED_WORKLOADS: typeof workloads === "string" ? workloads : JSON.stringify(workloads),
    ACCESS_POLICY: JSON.stringify(policy),
  });
  return result.ok ? [] : result.problems;
}

describe("TRUSTED_WORKLOADS, checked", () => {
  it("accepts the documented example, as a string or as wrangler's parsed JSON var, and keeps each entry", async () => {
    expect(await problemsFor({ "ci-main": ciMain })).toEqual([]);
    const parsed = await parseConfig({ ...testEnv, TRUSTED_WORKLOADS: { "ci-main": ciMain } as never });
    expect(parsed.ok && parsed.config.workloads).toEqual([{ name: "ci-main", ...ciMain }]);
    const unset = await parseConfig({ ...testEnv, TRUSTED_WORKLOADS: "" });
    expect(unset.ok && unset.config.workloads).toEqual([]);
  });

  it("reports every problem of every entry at once, each naming the entry", async () => {
    const problems = await problemsFor({
      "bad name!": ciMain,
      "no-issuer": { audience: "a", claims: { repository: "org/app" } },
      "plain-http": { issuer: "http://issuer.example", audience: "a", claims: { repository: "org/app" } },
      "no-audience": { issuer: GITHUB, claims: { repository: "org/app" } },
      extra: { ...ciMain, comment: "x" },
      "number-claim": { ...ciMain, claims: { repository: "org/app", run_attempt: 1 } },
      "checked-claims": { ...ciMain, claims: { repository: "org/app", aud: "x", email_verified: "true" } },
      "no-claims": { issuer: "https://gitlab.example", audience: "a", claims: {} },
      "just-a-string": "ci",
    });
    const expected = [
      /^TRUSTED_WORKLOADS "bad name!": the name may hold only/,
      /^TRUSTED_WORKLOADS "no-issuer": "issuer" is required/,
      /^TRUSTED_WORKLOADS "plain-http" "issuer": must be https/,
      /^TRUSTED_WORKLOADS "no-audience": "audience" is required/,
      /^TRUSTED_WORKLOADS "extra": unknown key "comment"/,
      /^TRUSTED_WORKLOADS "number-claim" "claims.run_attempt": must be a non-empty string/,
      /^TRUSTED_WORKLOADS "checked-claims" "claims.aud": not allowed here; put the audience in "audience"/,
      /^TRUSTED_WORKLOADS "checked-claims" "claims.email_verified": not allowed here/,
      /^TRUSTED_WORKLOADS "no-claims" "claims": empty/,
      /^TRUSTED_WORKLOADS "just-a-string": must be an object/,
    ];
    expectExactlyProblems(problems, expected);
  });

  it("refuses GitHub Actions and Google entries that do not say who the caller is: anyone can mint those tokens for any audience", async () => {
    const problems = await problemsFor({
      "any-main-branch": { issuer: GITHUB, audience: "https://app.test", claims: { ref: "refs/heads/main" } },
      "any-service-account": {
        issuer: "https://accounts.google.com",
        audience: "https://app.test",
        claims: { hd: "example.com" },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^TRUSTED_WORKLOADS "any-main-branch" "claims": names none of repository, .*e\.g\. "repository": "org\/app"/,
      ),
      expect.stringMatching(/^TRUSTED_WORKLOADS "any-service-account" "claims": names none of email, sub, azp/),
    ]);
    expect(
      await problemsFor({
        org: { issuer: GITHUB, audience: "a", claims: { repository_owner: "org" } },
        sa: { issuer: "https://accounts.google.com", audience: "a", claims: { email: "d@p.iam.gserviceaccount.com" } },
      }),
    ).toEqual([]);
  });

  it("refuses JSON that is not an object of workloads, and more than eight issuers", async () => {
    expect(await problemsFor("{not json")).toEqual([expect.stringMatching(/^TRUSTED_WORKLOADS: not valid JSON/)]);
    expect(await problemsFor([ciMain])).toEqual([expect.stringMatching(/^TRUSTED_WORKLOADS: must be a JSON object/)]);
    const many = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [
        `w${i}`,
        { issuer: `https://issuer${i}.example`, audience: "a", claims: { sub: "x" } },
      ]),
    );
    expect(await problemsFor(many)).toEqual([expect.stringMatching(/^TRUSTED_WORKLOADS: 9 issuers; at most 8/)]);
  });

  it("refuses the worker's own PUBLIC_URL as a workload issuer: its tokens are sessions, never a workload's", async () => {
    expect(await problemsFor({ self: { issuer: "https://app.test", audience: "a", claims: { sub: "x" } } })).toEqual([
      expect.stringMatching(/^TRUSTED_WORKLOADS "self": "issuer" is this worker's own PUBLIC_URL/),
    ]);
  });

  it("a broken entry is reported once, not again by the rule that names it", async () => {
    const problems = await problemsFor({ "ci-main": { ...ciMain, claims: {} } }, [
      { path: "/api/*", allow: { workloads: ["ci-main"] } },
    ]);
    expect(problems).toEqual([expect.stringMatching(/^TRUSTED_WORKLOADS "ci-main" "claims": empty/)]);
    const badName = await problemsFor({ "ci main": ciMain }, [{ path: "/api/*", allow: { workloads: ["ci main"] } }]);
    expect(badName).toEqual([expect.stringMatching(/^TRUSTED_WORKLOADS "ci main": the name may hold only/)]);
  });

  it("agrees with its JSON Schema: the same keys and the same refused claim names", () => {
    expect(Object.keys(schema.$defs.workload.properties).sort()).toEqual(["audience", "claims", "issuer"]);
    expect(schema.$defs.workload.properties.claims.propertyNames.not.enum.sort()).toEqual([
      "aud",
      "email_verified",
      "exp",
      "iat",
      "iss",
      "nbf",
    ]);
  });
});

describe("ACCESS_POLICY's preflight key", () => {
  it("is accepted on a rule with allow, and refused when not true", async () => {
    const workloads = { "ci-main": ciMain };
    expect(
      await problemsFor(workloads, [{ path: "/api/*", allow: { workloads: ["ci-main"] }, preflight: true }]),
    ).toEqual([]);
    expect(
      await problemsFor(workloads, [
        { path: "/a", allow: { emails: ["a@example.com"] }, preflight: "yes" },
        { path: "/b", public: true, preflight: false },
      ]),
    ).toEqual([
      expect.stringMatching(/^ACCESS_POLICY\[0\] "\/a": "preflight" must be true or left out/),
      expect.stringMatching(/^ACCESS_POLICY\[1\] "\/b": "preflight" must be true or left out/),
    ]);
  });
});

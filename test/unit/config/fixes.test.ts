import { afterEach, describe, expect, it } from "vitest";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { installFixTexts } from "../../../src/config/fixes";
import { parseConfig } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { testEnv } from "../../support/workerd/helpers";

/**
 * The worker states each configuration problem briefly; `npm run check` installs the long forms,
 * with each fix. Both must list the same problems, one for one.
 */
const MISTAKES: Partial<Record<keyof Env, unknown>> = {
  OIDC_ISSUER: "",
  OIDC_CLIENT_ID: "GOCSPX-abcdefghijklmnopqrstuvwxyz12",
  ACCESS_TOKEN_TTL: "15m",
  PUBLIC_PATHS: "/*",
  ACCESS_POLICY: JSON.stringify([
    { path: "/admin/*", alow: { emails: ["a@example.com"] } },
    { path: "/team/*", allow: { groups: ["team@example.com"] } },
    { path: "/x", allow: { emails: ["a@example.com"] } },
    { path: "/x", allow: { domains: ["example.com"] } },
    "not a rule",
  ]),
  TRUSTED_WORKLOADS: JSON.stringify({
    ci: "not an entry",
    deploy: { issuer: "https://ci.example", audience: "x", claims: [] },
  }),
};

async function problems(): Promise<string[]> {
  const result = await parseConfig({ ...testEnv, ...MISTAKES } as Env);
  return result.ok ? [] : result.problems;
}

afterEach(() => installFixTexts(undefined));

describe("problems, short and long", () => {
  it("lists the same problems in both forms, each short one the start of its long one", async () => {
    const short = await problems();
    installFixTexts(FIX_TEXTS);
    const long = await problems();
    expect(short.length).toBeGreaterThanOrEqual(10);
    expect(long).toHaveLength(short.length);
    short.forEach((problem, i) => {
      // A lifetime with a unit: the worker gives the plain range, the long form the number to write.
      if (problem.startsWith("ACCESS_TOKEN_TTL")) {
        expect(problem).toBe("ACCESS_TOKEN_TTL: must be a whole number of seconds from 1 to 86400");
        expect(long[i]).toBe(
          'ACCESS_TOKEN_TTL: "15m" is not a number of seconds; the value is in seconds: write ACCESS_TOKEN_TTL = "900" (15 minutes)',
        );
      } else expect(long[i]!.startsWith(problem.replace(/ \(allowed: .*\)$/, "")), long[i]).toBe(true);
    });
    expect(short.join("\n")).not.toMatch(/ like |e\.g\.|did you mean|docs\/|Google Cloud console/);
    expect(long.join("\n")).toMatch(/did you mean "allow"/);
    expect(long.join("\n")).toMatch(/put it in OIDC_CLIENT_SECRET/);
    expect(long.join("").length).toBeGreaterThan(short.join("").length + 500);
  });

  it("says what is wrong even in the short form, never the secret", async () => {
    const short = await problems();
    expect(short).toContain("OIDC_CLIENT_ID: this is a client secret");
    expect(short).toContain('PUBLIC_PATHS "/*": would make the whole site (or its home page) public');
    expect(short).toContain('ACCESS_POLICY[1] "/team/*": names groups, but GOOGLE_GROUPS_CREDENTIALS is not set');
    expect(short).toContain(
      'ACCESS_POLICY[0] "/admin/*": unknown key "alow" (allowed: path, methods, allow, public, preflight, websocket, maxAge)',
    );
    expect(short.join("\n")).not.toContain("GOCSPX-abc");
  });
});

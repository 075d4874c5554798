import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { parseConfig } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

/**
 * Mistakes people make when they paste values, refused by the worker itself (and so by
 * `npm run check`, which runs the same parser), each problem with the fix in it.
 */
async function problemsWith(bindings: Partial<Record<keyof Env, unknown>>): Promise<string[]> {
  const result = await parseConfig({ ...testEnv, ...bindings } as Env);
  return result.ok ? [] : result.problems;
}

const GOOGLE = { OIDC_ISSUER: "" };
const GOOGLE_ID = "123456789012-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com";

describe("OIDC_CLIENT_ID", () => {
  it("takes Google's shape of client id with Google, and any plain id with another provider", async () => {
    expect(await problemsWith({ ...GOOGLE, OIDC_CLIENT_ID: GOOGLE_ID })).toEqual([]);
    expect(await problemsWith({ OIDC_CLIENT_ID: "0oa1b2c3d4E5f6G7h8i9" })).toEqual([]);
  });

  it("refuses a Google client secret pasted as the id, without repeating it", async () => {
    const secret = "GOCSPX-abcdefghijklmnopqrstuvwxyz12";
    for (const issuer of [GOOGLE, {}]) {
      const problems = await problemsWith({ ...issuer, OIDC_CLIENT_ID: secret });
      expect(problems).toEqual([
        expect.stringMatching(/^OIDC_CLIENT_ID: this is a client secret .*OIDC_CLIENT_SECRET/),
      ]);
      expect(problems.join()).not.toContain(secret);
    }
  });

  it("refuses a URL, a trailing slash and spaces around the id, whatever the provider", async () => {
    for (const issuer of [GOOGLE, {}]) {
      expect(
        await problemsWith({ ...issuer, OIDC_CLIENT_ID: "https://console.cloud.google.com/apis/credentials" }),
      ).toEqual([
        expect.stringMatching(
          /^OIDC_CLIENT_ID: is a URL; the client id is the identifier the provider shows as "Client ID"/,
        ),
      ]);
      expect(await problemsWith({ ...issuer, OIDC_CLIENT_ID: `${GOOGLE_ID}/` })).toEqual([
        'OIDC_CLIENT_ID: ends in "/"; remove it (a client id is compared exactly)',
      ]);
      expect(await problemsWith({ ...issuer, OIDC_CLIENT_ID: ` ${GOOGLE_ID}` })).toEqual([
        "OIDC_CLIENT_ID: has spaces or a line break around it; remove them (they were pasted with the id)",
      ]);
      expect(await problemsWith({ ...issuer, OIDC_CLIENT_ID: `${GOOGLE_ID}\n` })).toHaveLength(1);
    }
  });

  it("with Google, refuses an id of another shape and says where to find the right one", async () => {
    for (const id of ["my-app", "123456789012", "abc.apps.googleusercontent.com"]) {
      expect(await problemsWith({ ...GOOGLE, OIDC_CLIENT_ID: id }), id).toEqual([
        expect.stringMatching(/^OIDC_CLIENT_ID: not a Google client id, which looks like .*Credentials.*OIDC_ISSUER/),
      ]);
    }
  });
});

describe("lifetimes written with a unit", () => {
  it("says the value is seconds, and the number to write instead", async () => {
    expect(await problemsWith({ REFRESH_TOKEN_TTL: "30d" })).toEqual([
      'REFRESH_TOKEN_TTL: "30d" is not a number of seconds; the value is in seconds: write REFRESH_TOKEN_TTL = "2592000" (30 days)',
    ]);
    expect(await problemsWith({ ACCESS_TOKEN_TTL: "15m" })).toEqual([
      'ACCESS_TOKEN_TTL: "15m" is not a number of seconds; the value is in seconds: write ACCESS_TOKEN_TTL = "900" (15 minutes)',
    ]);
    expect(await problemsWith({ ACCESS_TOKEN_TTL: "1h" })).toEqual([
      'ACCESS_TOKEN_TTL: "1h" is not a number of seconds; the value is in seconds: write ACCESS_TOKEN_TTL = "3600" (1 hour)',
    ]);
    expect(await problemsWith({ REFRESH_REUSE_GRACE: "30s" })).toEqual([
      'REFRESH_REUSE_GRACE: "30s" is not a number of seconds; the value is in seconds: write REFRESH_REUSE_GRACE = "30"',
    ]);
  });

  it("also says when the converted value is outside the range", async () => {
    expect(await problemsWith({ ACCESS_TOKEN_TTL: "2d" })).toEqual([
      'ACCESS_TOKEN_TTL: "2d" is not a number of seconds; 2 days is 172800 seconds, more than the longest allowed, 86400 (1 day)',
    ]);
  });

  it("still refuses other values with the range", async () => {
    expect(await problemsWith({ ACCESS_TOKEN_TTL: "soon" })).toEqual([
      "ACCESS_TOKEN_TTL: must be a whole number of seconds from 1 to 86400",
    ]);
  });
});

describe("unknown keys in ACCESS_POLICY and TRUSTED_WORKLOADS", () => {
  it("suggest the key that was probably meant", async () => {
    const policy = JSON.stringify([
      { path: "/admin/*", allow: { email: ["ada@example.com"] } },
      { path: "/api/*", method: ["GET"], allow: { domains: ["example.com"] } },
      { path: "/x", public: true, colour: "blue" },
    ]);
    const problems = await problemsWith({ ACCESS_POLICY: policy });
    expect(problems).toContain(
      'ACCESS_POLICY[0] "/admin/*" "allow": unknown key "email"; did you mean "emails"? (allowed: emails, domains, groups, workloads, providers)',
    );
    expect(problems).toContain(
      'ACCESS_POLICY[1] "/api/*": unknown key "method"; did you mean "methods"? (allowed: path, methods, allow, public, preflight, websocket, maxAge)',
    );
    expect(problems).toContain(
      'ACCESS_POLICY[2] "/x": unknown key "colour" (allowed: path, methods, allow, public, preflight, websocket, maxAge)',
    );
  });

  it('say where an allowlist belongs when it is written next to the path instead of in "allow"', async () => {
    const policy = JSON.stringify([
      { path: "/admin/*", emails: ["ada@example.com"] },
      { path: "/ops/*", group: ["ops@example.com"] },
    ]);
    const problems = await problemsWith({ ACCESS_POLICY: policy });
    expect(problems).toContain(
      'ACCESS_POLICY[0] "/admin/*": unknown key "emails"; it belongs inside "allow": {"emails": [...]} (allowed: path, methods, allow, public, preflight, websocket, maxAge)',
    );
    expect(problems).toContain(
      'ACCESS_POLICY[1] "/ops/*": unknown key "group"; did you mean "groups", inside "allow": {"groups": [...]}? (allowed: path, methods, allow, public, preflight, websocket, maxAge)',
    );
  });

  it("in TRUSTED_WORKLOADS too", async () => {
    const workloads = JSON.stringify({
      ci: { issuer: "https://token.actions.githubusercontent.com", audiance: "x", claims: { repository: "o/a" } },
    });
    expect(await problemsWith({ TRUSTED_WORKLOADS: workloads })).toContain(
      'TRUSTED_WORKLOADS "ci": unknown key "audiance"; did you mean "audience"? (allowed: issuer, audience, claims)',
    );
  });
});

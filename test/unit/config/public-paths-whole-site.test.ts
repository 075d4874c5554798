import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFixTexts } from "../../../src/config/fixes";
import { FIX_TEXTS } from "../../../src/config/fix-texts";
import { parseConfig } from "../../../src/config/parse-config";
import { callWith, testEnv } from "../../support/workerd/helpers";

// The long form of each problem, with its fix, as `npm run check` prints it (fixes.test.ts: the worker's short form).
beforeAll(() => installFixTexts(FIX_TEXTS));
afterAll(() => installFixTexts(undefined));

/**
 * A PUBLIC_PATHS entry of `/*` (everything) or `/` (the root, which operators write
 * meaning everything) is a configuration error: the worker never serves as an open proxy
 * because of one character.
 */
async function problemsFor(publicPaths: string): Promise<string[]> {
  const result = await parseConfig({ ...testEnv, PUBLIC_PATHS: publicPaths });
  return result.ok ? [] : result.problems;
}

describe("PUBLIC_PATHS that open the whole site", () => {
  it.each(["/*", "/", " / ", "/healthz,/*", "/,/public/*", "/public/*, /"])(
    "refuses %j with a problem naming PUBLIC_PATHS",
    async (value) => {
      const problems = await problemsFor(value);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^PUBLIC_PATHS "\/\*?": would make the whole site .*list the public paths instead/);
    },
  );

  it.each(["/*", "/"])("answers every request with the plain 500 page when PUBLIC_PATHS is %j", async (value) => {
    for (const path of ["/", "/anything", "/public/x"]) {
      const response = await callWith({ PUBLIC_PATHS: value }, path);
      expect(response.status).toBe(500);
      const body = await response.text();
      // The misconfiguration page, and nothing of the configuration itself on the wire.
      expect(body).toContain("Service misconfigured");
      expect(body).not.toContain("PUBLIC_PATHS");
    }
  });

  it.each(["", "/healthz", "/public/*", "/healthz,/public/*", "/index.html,/assets/*"])(
    "accepts %j (control)",
    async (value) => {
      expect(await problemsFor(value)).toEqual([]);
    },
  );
});

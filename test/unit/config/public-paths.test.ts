import { beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/parse-config";
import { parsePublicPath } from "../../../src/config/public-paths";
import { accessDecision } from "../../../src/policy/access-decision";
import { testConfig } from "../../support/workerd/helpers";

// The unit configuration's PUBLIC_PATHS: "/healthz,/public/*", decided as the gate decides.
let config: Config;
beforeAll(async () => {
  config = await testConfig();
});
const isPublicPath = (path: string) => accessDecision(config.policy, path, "GET").public;

describe("public paths", () => {
  it("matches exact paths and prefixes", () => {
    expect(isPublicPath("/healthz")).toBe(true);
    expect(isPublicPath("/public/")).toBe(true);
    expect(isPublicPath("/public/a/b")).toBe(true);
  });

  it.each([
    "/healthz/",
    "/healthzx",
    "/publicity",
    "/public",
    "/PUBLIC/a",
    "/public/..%2fsecret",
    "/public/%2e%2e/secret",
    "/public/a;x",
    "/public//a",
    "/public\\a",
  ])("does not treat %s as public", (path) => expect(isPublicPath(path)).toBe(false));

  it("rejects unsafe patterns in configuration", () => {
    expect(typeof parsePublicPath("public/*")).toBe("string");
    expect(typeof parsePublicPath("/a/../b")).toBe("string");
    expect(typeof parsePublicPath("/a*")).toBe("string");
  });
});

import { describe, expect, it } from "vitest";
import { parsePublicPath, type PathPattern } from "../../src/config/public-paths";
import { isPublicPath } from "../../src/policy/public-path";

const patterns = ["/healthz", "/public/*"].map(parsePublicPath) as PathPattern[];

describe("public paths", () => {
  it("matches exact paths and prefixes", () => {
    expect(isPublicPath("/healthz", patterns)).toBe(true);
    expect(isPublicPath("/public/", patterns)).toBe(true);
    expect(isPublicPath("/public/a/b", patterns)).toBe(true);
  });

  it.each(["/healthz/", "/healthzx", "/publicity", "/public", "/PUBLIC/a", "/public/..%2fsecret", "/public/%2e%2e/secret", "/public/a;x", "/public//a", "/public\\a"])(
    "does not treat %s as public",
    (path) => expect(isPublicPath(path, patterns)).toBe(false),
  );

  it("rejects unsafe patterns in configuration", () => {
    expect(typeof parsePublicPath("public/*")).toBe("string");
    expect(typeof parsePublicPath("/a/../b")).toBe("string");
    expect(typeof parsePublicPath("/a*")).toBe("string");
  });
});

import { describe, expect, it } from "vitest";
import { safeReturnTo } from "../../../src/http/return-to";

describe("safeReturnTo", () => {
  it("keeps a path and query on our origin", () => {
    expect(safeReturnTo("/a/b?c=1", "/auth")).toBe("/a/b?c=1");
    expect(safeReturnTo("/", "/auth")).toBe("/");
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/.//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/%0a/evil",
    "/\u0000",
    "",
    "/" + "a".repeat(3000),
  ])("turns %j into /", (value) => {
    const result = safeReturnTo(value, "/auth");
    expect(result.startsWith("/")).toBe(true);
    expect(result.startsWith("//")).toBe(false);
    expect(new URL(result, "https://app.test").origin).toBe("https://app.test");
  });

  it.each(["/%2f", "/%2F%2F", "/%5c", "/%2f%5cevil", "/%09/", "/a/..%2f%2f", "/%2f%2fevil.example/x", "/%2e%2e%2f%2f"])(
    "never throws on %j, whose escapes decode to `//`, `/\\` or a tab, and keeps it a path on our origin",
    (value) => {
      const result = safeReturnTo(value, "/auth");
      expect(result.startsWith("/")).toBe(true);
      expect(result.startsWith("//")).toBe(false);
      expect(new URL(result, "https://app.test").origin).toBe("https://app.test");
    },
  );

  it("never lets a dot-segment trick produce a protocol-relative path", () => {
    expect(safeReturnTo("/.//evil.example", "/auth")).toBe("/");
    expect(safeReturnTo("/a/..//evil.example", "/auth")).toBe("/");
  });
});

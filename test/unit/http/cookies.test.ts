import { describe, expect, it } from "vitest";
import { parseCookies, serializeCookie, setsWorkerCookie } from "../../../src/http/cookies";

const readCookie = (header: string, name: string) => parseCookies(header).get(name);
const withoutWorkerCookies = (header: string) => parseCookies(header).forOrigin();

describe("cookies", () => {
  it("reads a single cookie exactly by name", () => {
    expect(readCookie("a=1; __Host-access=tok; b=2", "__Host-access")).toBe("tok");
    expect(readCookie("__host-access=tok", "__Host-access")).toBeUndefined();
  });

  it("treats a duplicated, empty or oversized cookie as absent", () => {
    expect(readCookie("__Host-access=a; __Host-access=b", "__Host-access")).toBeUndefined();
    expect(readCookie("__Host-access=", "__Host-access")).toBeUndefined();
    expect(readCookie(`__Host-access=${"x".repeat(5000)}`, "__Host-access")).toBeUndefined();
  });

  it("skips nameless and malformed pairs without throwing", () => {
    const jar = parseCookies("=x; ;;novalue; a=b");
    expect(jar.get("a")).toBe("b");
    expect(jar.get("")).toBeUndefined();
    expect(jar.get("novalue")).toBeUndefined();
    expect(jar.withPrefix("")).toEqual([{ name: "a", value: "b" }]);
  });

  it("removes only the worker's cookies (any case) from the Cookie header", () => {
    expect(withoutWorkerCookies("a=1; __Host-access=x; __HOST-REFRESH=y; __Host-login-abc=z; b=2")).toBe("a=1; b=2");
    expect(withoutWorkerCookies("__Host-access=x")).toBeNull();
  });

  it("serializes with the documented attributes and recognizes our Set-Cookie", () => {
    expect(serializeCookie("__Host-access", "v", 900)).toBe(
      "__Host-access=v; Max-Age=900; Path=/; Secure; HttpOnly; SameSite=Lax",
    );
    expect(setsWorkerCookie("__Host-refresh=x; Path=/")).toBe(true);
    expect(setsWorkerCookie("session=x; Path=/")).toBe(false);
  });
});

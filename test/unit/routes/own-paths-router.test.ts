import fc from "fast-check";
import { PatternRouter } from "hono/router/pattern-router";
import { describe, expect, it } from "vitest";
import { OwnPathsRouter } from "../../../src/routes/route-table";

/**
 * The gate's requests skip PatternRouter's regular expressions; every path must still get exactly
 * the handlers, in the same order, that PatternRouter gives it.
 */
const AUTH = "/auth";
const JWKS = "/.well-known/jwks.json";
const ROUTES: [method: string, path: string][] = [
  ["ALL", "/*"],
  ["GET", JWKS],
  ["ALL", JWKS],
  ["GET", `${AUTH}/login`],
  ["ALL", `${AUTH}/login`],
  ["POST", `${AUTH}/logout`],
  ["GET", `${AUTH}/logout`],
  ["ALL", `${AUTH}/logout`],
  ["POST", `${AUTH}/sessions/revoke`],
  ["ALL", `${AUTH}/sessions/revoke`],
  ["ALL", AUTH],
  ["ALL", `${AUTH}/*`],
  ["ALL", "/*"],
];

function routers() {
  const own = new OwnPathsRouter<string>([AUTH, JWKS]);
  const pattern = new PatternRouter<string>();
  ROUTES.forEach(([method, path], i) => {
    own.add(method, path, `${i} ${method} ${path}`);
    pattern.add(method, path, `${i} ${method} ${path}`);
  });
  return { own, pattern };
}

const handlers = (result: ReturnType<PatternRouter<string>["match"]>) =>
  (result[0] as [string, Record<string, string>][]).map(([handler]) => handler);

describe("the router in front of PatternRouter", () => {
  const { own, pattern } = routers();

  it.each([
    ["GET", "/"],
    ["GET", "/app/x"],
    ["GET", AUTH],
    ["GET", `${AUTH}/`],
    ["GET", `${AUTH}/login`],
    ["GET", `${AUTH}/login/`],
    ["POST", `${AUTH}/login`],
    ["GET", "/authx"],
    ["GET", "/Auth/login"],
    ["GET", JWKS],
    ["GET", `${JWKS}/`],
    ["GET", "/.well-known/other"],
    ["POST", `${AUTH}/sessions/revoke`],
    ["DELETE", "/app/x"],
  ])("%s %s gets PatternRouter's handlers", (method, path) => {
    expect(handlers(own.match(method, path))).toEqual(handlers(pattern.match(method, path)));
  });

  it("sends every other path to what is registered for every path only, in order", () => {
    expect(handlers(own.match("GET", "/app/x"))).toEqual(["0 ALL /*", "12 ALL /*"]);
  });

  it("agrees with PatternRouter on any path built from the routes' own pieces", () => {
    const piece = fc.constantFrom(
      "auth",
      "Auth",
      "login",
      "logout",
      "sessions",
      "revoke",
      ".well-known",
      "jwks.json",
      "x",
      "",
    );
    const path = fc.array(piece, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
    const method = fc.constantFrom("GET", "POST", "HEAD", "PUT");
    fc.assert(
      fc.property(method, path, (m, p) => {
        expect(handlers(own.match(m, p))).toEqual(handlers(pattern.match(m, p)));
      }),
      { numRuns: 500 },
    );
  });
});

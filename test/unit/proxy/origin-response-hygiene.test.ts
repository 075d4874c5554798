import { afterEach, describe, expect, it, vi } from "vitest";
import { toClientResponse } from "../../../src/proxy/origin-response";
import { callWith, signedIn } from "../../support/workerd/helpers";

/**
 * On the response side: the origin cannot sign people out (Clear-Site-Data "cookies" or "*"
 * would delete our cookies) nor have an authenticated answer kept by a CDN in front of us
 * (CDN-Cache-Control, Cloudflare-CDN-Cache-Control, Surrogate-Control), on any path.
 */
const CDN_HEADERS = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control"];

function originSays(headers: Record<string, string>) {
  return new Response("hello", { headers: { "Cache-Control": "public, s-maxage=600, max-age=60", ...headers } });
}

/** The origin answers every subrequest with `headers`; the rest of the worker runs for real. */
function originAnswers(headers: Record<string, string>) {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) =>
    new URL(new Request(input, init).url).hostname === "origin.test" ? originSays(headers) : real(input, init),
  );
}

afterEach(() => vi.restoreAllMocks());

describe("Clear-Site-Data from the origin", () => {
  it.each([
    ['"cookies"', null],
    ['"*"', null],
    ['"COOKIES"', null],
    ["cookies", null],
    ['"cache", "cookies"', '"cache"'],
    ['"storage","*" , "executionContexts"', '"storage", "executionContexts"'],
    ['"cache"', '"cache"'],
  ])("%s becomes %s, authenticated or not", (sent, kept) => {
    for (const authenticated of [true, false]) {
      const response = toClientResponse(originSays({ "Clear-Site-Data": sent }), authenticated);
      expect(response.headers.get("clear-site-data")).toBe(kept);
    }
  });

  it("is reduced on a real authenticated response through the gate, and on a public one", async () => {
    originAnswers({ "Clear-Site-Data": '"cache", "cookies", "storage"' });
    const { cookie } = await signedIn();
    expect((await callWith({}, "/account", { headers: { cookie } })).headers.get("clear-site-data")).toBe(
      '"cache", "storage"',
    );
    expect((await callWith({}, "/public/x")).headers.get("clear-site-data")).toBe('"cache", "storage"');
  });
});

describe("CDN cache headers from the origin", () => {
  const cdn = Object.fromEntries(CDN_HEADERS.map((name) => [name, "max-age=3600"]));

  it("are dropped from an authenticated response, and Cache-Control made private", () => {
    const response = toClientResponse(originSays(cdn), true);
    for (const name of CDN_HEADERS) expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
  });

  it("are kept on a public response (control)", () => {
    const response = toClientResponse(originSays(cdn), false);
    for (const name of CDN_HEADERS) expect(response.headers.get(name), name).toBe("max-age=3600");
    expect(response.headers.get("cache-control")).toBe("public, s-maxage=600, max-age=60");
  });

  it("are dropped through the gate for a signed-in person", async () => {
    originAnswers(cdn);
    const { cookie } = await signedIn();
    const response = await callWith({}, "/report", { headers: { cookie } });
    expect(response.status).toBe(200);
    for (const name of CDN_HEADERS) expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.get("cache-control")).toBe("private, max-age=60");
  });
});

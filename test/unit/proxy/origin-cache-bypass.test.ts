import { afterEach, describe, expect, it, vi } from "vitest";
import { callWith, signedIn } from "../../support/workerd/helpers";

/**
 * On the request side: the subrequest for an authenticated request is neither served from nor
 * stored in Cloudflare's cache (`cache: "no-store"`), whatever the origin's Cache-Control says;
 * the cache key is the URL, so a stored answer would reach the next person asking for it.
 */
type Sent = { url: string; cache: string | undefined; auth: string | null };

function watchOriginFetches(): Sent[] {
  const sent: Sent[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (new URL(request.url).hostname === "origin.test")
      sent.push({
        url: request.url,
        cache: init?.cache ?? (request as { cache?: string }).cache,
        auth: request.headers.get("x-auth-user-sub"),
      });
    return real(input, init);
  });
  return sent;
}

afterEach(() => vi.restoreAllMocks());

describe("authenticated subrequests bypass Cloudflare's cache", () => {
  it("fetches an authenticated request with cache: no-store, and workerd accepts it", async () => {
    const { cookie } = await signedIn();
    const sent = watchOriginFetches();
    const response = await callWith({}, "/cached/report", { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(sent).toEqual([{ url: "http://origin.test/cached/report", cache: "no-store", auth: "1001" }]);
  });

  it("does the same for a request authenticated by a Bearer token and one refreshed in place", async () => {
    const { access, refresh } = await signedIn();
    const sent = watchOriginFetches();
    expect((await callWith({}, "/cached/a", { headers: { authorization: `Bearer ${access}` } })).status).toBe(200);
    expect((await callWith({}, "/cached/b", { headers: { cookie: `__Host-refresh=${refresh}` } })).status).toBe(200);
    expect(sent.map(({ cache }) => cache)).toEqual(["no-store", "no-store"]);
  });

  it("leaves public paths to the cache as the origin directs (control)", async () => {
    const sent = watchOriginFetches();
    expect((await callWith({}, "/public/logo.png")).status).toBe(200);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.cache).not.toBe("no-store");
    expect(sent[0]!.auth).toBeNull();
  });
});

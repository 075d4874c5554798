import { describe, expect, it } from "vitest";
import { createKvSessionStore } from "../../src/session/kv-store";
import { ada, call, cloudflareKv, setCookies } from "../support/workerd/helpers";

const nasty: [string, RequestInit][] = [
  ["/%", {}],
  ["/%ff%fe?%zz=%", {}],
  ["/a?return_to=%00", { headers: { accept: "text/html" } }],
  ["/auth/login?return_to=%E0%A4%A", {}],
  ["/auth/login?return_to=/a&return_to=/b", {}],
  ["/auth/callback", {}],
  ["/auth/callback?state=&code=", {}],
  ["/auth/callback?state=a&state=b&code=c", {}],
  [`/auth/callback?state=${"s".repeat(10_000)}&code=c`, {}],
  ["/auth/callback?error=%3Cscript%3E", { headers: { accept: "text/html" } }],
  ["/auth/me", { headers: { cookie: "__Host-access=" + "A".repeat(10_000) } }],
  ["/auth/me", { headers: { cookie: "__Host-access=a.b.c; __Host-access=d.e.f" } }],
  ["/auth/me", { headers: { cookie: ";;;=;==;__Host-refresh=;__Host-refresh" } }],
  ["/x", { headers: { authorization: "Bearer " } }],
  ["/x", { headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.e30." } }],
  ["/x", { headers: { authorization: `Bearer ${"a".repeat(20_000)}` } }],
  ["/x", { headers: { cookie: "__Host-refresh=../../family:x" } }],
  ["/x", { headers: { cookie: `__Host-refresh=${"A".repeat(43)}` } }],
  ["/auth/refresh", { method: "POST", headers: { cookie: "__Host-refresh=%00%ff" } }],
  ["/auth/logout", { method: "POST", headers: { cookie: "__Host-access=x; __Host-refresh=y", origin: "null" } }],
  ["/auth/logout", { method: "PUT" }],
  ["/auth/nope", {}],
  ["/.well-known/jwks.json", { method: "POST" }],
];

describe("bad input", () => {
  it.each(nasty)("%s never yields a 5xx or reflects input", async (path, init) => {
    const response = await call(path, init);
    expect(response.status).toBeLessThan(500);
    const body = await response.text();
    expect(body).not.toMatch(/<script>|sssssssss|AAAAAAAA|at \w+ \(|Error:/);
  });

  it("refuses an expired family and clears both cookies", async () => {
    const store = createKvSessionStore(cloudflareKv.binding(), 60);
    const issued = await store.create(ada, Date.now() - 61_000, 60);
    const response = await call("/x", { headers: { cookie: `__Host-refresh=${issued.credential}` } });
    expect(response.status).toBe(401);
    const cookies = setCookies(response);
    expect(cookies.get("__Host-access")).toMatch(/Max-Age=0/);
    expect(cookies.get("__Host-refresh")).toMatch(/Max-Age=0/);
  });

  it("answers HEAD navigations like GET ones", async () => {
    const response = await call("/page", { method: "HEAD", headers: { "sec-fetch-mode": "navigate" } });
    expect(response.status).toBe(302);
  });
});

import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("rate limiting of the auth routes (AUTH_RATE_LIMIT, 60 per 10 s per route and IP)", () => {
  it("answers 429 once a client has used up its budget, per route and per client", async () => {
    const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });
    const statuses = [];
    for (let i = 0; i < 61; i++) statuses.push((await call("/auth/login", from("203.0.113.9"))).status);
    expect(statuses.slice(0, 60).every((status) => status === 302)).toBe(true);
    const limited = await call("/auth/login", from("203.0.113.9"));
    expect(limited.status).toBe(429);
    expect((await call("/auth/login", from("203.0.113.10"))).status).toBe(302);
    expect((await call("/auth/refresh", { method: "POST", ...from("203.0.113.9") })).status).toBe(401);
  });

  it("never limits loopback clients (local development)", async () => {
    for (let i = 0; i < 70; i++) expect((await call("/auth/login", { headers: { "cf-connecting-ip": "127.0.0.1" } })).status).toBe(302);
  });
});

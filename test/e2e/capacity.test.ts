import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freeCapacity, paidCapacity, readStoreOps, usagePerPersonDay } from "../../scripts/capacity.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";

/** Counts as the bench writes them (bench/store-ops.json), made up so the arithmetic can be checked by hand. */
const zero = { kvReads: 0, kvWrites: 0, kvDeletes: 0, kvLists: 0, doRequests: 0 };
const ops = {
  flows: {
    kv: {
      signIn: { ...zero, kvWrites: 2 },
      request: zero,
      requestWithRevocationCheck: { ...zero, kvReads: 2 },
      refresh: { ...zero, kvReads: 5, kvWrites: 1 },
    },
    "durable-object": {
      signIn: { ...zero, doRequests: 1 },
      request: zero,
      requestWithRevocationCheck: { ...zero, doRequests: 1 },
      refresh: { ...zero, doRequests: 1 },
    },
  },
};
const defaults = { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 2_592_000, revocationCheck: false };

describe("capacity arithmetic (scripts/capacity.mjs)", () => {
  it("KV on Free: 8 hours of 15-minute access tokens are 32 refreshes, 32 writes and a 30th of a sign-in's 2: 31 people", () => {
    const { refreshes, signIns, usage } = usagePerPersonDay(ops, { ...defaults, store: "kv" });
    expect([refreshes, signIns]).toEqual([32, 1 / 30]);
    expect(usage.kvWrites).toBeCloseTo(32 + 2 / 30, 10);
    expect(usage.kvReads).toBe(160);
    // 1000 / 32.067 = 31.2
    expect(freeCapacity(usage)).toMatchObject({ people: 31, limit: "kvWrites", limitPerDay: 1000 });
  });

  it("a longer ACCESS_TOKEN_TTL is fewer writes: with an hour, KV's writes (123 people) no longer come first, the Worker's requests do", () => {
    const { usage } = usagePerPersonDay(ops, { ...defaults, accessTokenTtlSeconds: 3600, store: "kv" });
    expect(1000 / usage.kvWrites).toBeCloseTo(1000 / (8 + 2 / 30), 10); // 123.97
    expect(freeCapacity(usage)).toMatchObject({ people: 104, limit: "workerRequests" }); // 100,000 / 960.07
  });

  it("REVOCATION_CHECK reads the store on every other request; sessions shorter than a day sign in each day", () => {
    const { usage } = usagePerPersonDay(ops, {
      ...defaults,
      revocationCheck: true,
      refreshTokenTtlSeconds: 3600,
      store: "kv",
    });
    // 960 requests, 32 of them refreshes (5 reads), 928 checks (2 reads), 8 sign-ins (2 writes).
    expect(usage.kvReads).toBe(32 * 5 + 928 * 2);
    expect(usage.kvWrites).toBe(32 + 8 * 2);
    expect(freeCapacity(usage)).toMatchObject({ people: 20, limit: "kvWrites" }); // 1000 / 48
  });

  it("Durable Objects on Free: the Workers request limit comes first; on Paid the included requests, then the price", () => {
    const { usage } = usagePerPersonDay(ops, { ...defaults, store: "durable-object" });
    expect(usage.workerRequests).toBeCloseTo(960 + 2 / 30, 10);
    expect(freeCapacity(usage)).toMatchObject({ people: 104, limit: "workerRequests" }); // 100,000 / 960.07
    const paid = paidCapacity(usage);
    expect(paid).toMatchObject({ includedPeople: 347, limit: "workerRequests" }); // 10M / 30 / 960.07
    // 1,000 people, 30 days: 28.8M Worker requests at $0.30/M, 0.961M DO requests at $0.15/M.
    expect(paid.usdPerThousandPeople).toBeCloseTo((960 + 2 / 30) * 0.03 * 0.3 + (32 + 1 / 30) * 0.03 * 0.15, 10);
  });
});

describe("npm run check prints the capacity of the environment it checks", () => {
  it("from its ACCESS_TOKEN_TTL and SESSION_STORE, with the counts in bench/store-ops.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capacity-"));
    const vars =
      'ORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-test.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\nACCESS_TOKEN_TTL = "1800"';
    writeFileSync(
      join(dir, "wrangler.toml"),
      `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n[vars]\n${vars}\n`,
    );
    writeFileSync(
      join(dir, ".dev.vars"),
      `OIDC_CLIENT_SECRET=s3cret\nSESSION_KEYS='${JSON.stringify(await generateKeySet())}'\n`,
    );
    const result = spawnSync("node", ["scripts/check-config.mjs", "--config", join(dir, "wrangler.toml")], {
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    // 16 refreshes of the measured writes each, and a 30th of a sign-in's, against 1,000 a day.
    const { kv } = readStoreOps().flows;
    const people = Math.floor(1000 / (16 * kv.refresh.kvWrites + kv.signIn.kvWrites / 30));
    expect(result.stdout).toContain(`capacity (SESSION_STORE=kv, ACCESS_TOKEN_TTL=1800, REFRESH_TOKEN_TTL=2592000;`);
    expect(result.stdout).toContain(`Workers Free about ${people} people a day (KV writes: 1,000 a day`);
  }, 60_000);
});

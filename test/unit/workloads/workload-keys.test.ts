import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeWorkloadIssuer, type FakeWorkloadIssuer } from "../../support/workerd/fake-workload-issuer";
import { callWith } from "../../support/workerd/helpers";

/**
 * A workload issuer's keys inside workerd, the clock moved instead of waited for: discovered once,
 * refetched on an unknown kid at most once per 30 s cooldown, an outage a 503 that is not kept.
 * Each test has an issuer of its own, so no test sees another's cached keys.
 */
const bindingsFor = (issuer: string) => ({
  TRUSTED_WORKLOADS: JSON.stringify({
    "ci-main": { issuer, audience: "https://app.test", claims: { repository: "org/app" } },
  }),
  ACCESS_POLICY: JSON.stringify([{ path: "/api/*", allow: { workloads: ["ci-main"] } }]),
});
const get = (issuer: FakeWorkloadIssuer, token: string) =>
  callWith(bindingsFor(issuer.issuer), "/api/x", { headers: { authorization: `Bearer ${token}` } });

beforeEach(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() }));
afterEach(() => vi.useRealTimers());
afterAll(() => vi.restoreAllMocks());

describe("a workload issuer's keys", () => {
  it("are fetched once for many requests, and a flood of unknown kids refetches them at most once per 30 s", async () => {
    const issuer = await fakeWorkloadIssuer("https://flood.workloads.test");
    expect((await get(issuer, await issuer.token())).status).toBe(200);
    expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });
    for (let i = 0; i < 5; i++) expect((await get(issuer, await issuer.token({ jti: String(i) }))).status).toBe(200);
    expect(issuer.hits).toEqual({ discovery: 1, jwks: 1 });

    // Made-up kids, each different: the key set is inside its cooldown, so nothing is fetched.
    for (let i = 0; i < 40; i++)
      expect((await get(issuer, await issuer.token({}, { kid: `forged-${i}` }))).status).toBe(401);
    expect(issuer.hits.jwks).toBe(1);

    // Past the cooldown one unknown kid may refetch (a rotation would need it), then it cools down again.
    vi.setSystemTime(Date.now() + 31_000);
    for (let i = 0; i < 40; i++)
      expect((await get(issuer, await issuer.token({}, { kid: `later-${i}` }))).status).toBe(401);
    expect(issuer.hits).toEqual({ discovery: 1, jwks: 2 });
  });

  it("follow the issuer's key rotation: a token under a new kid is accepted once the cooldown allows a refetch", async () => {
    const issuer = await fakeWorkloadIssuer("https://rotating.workloads.test");
    expect((await get(issuer, await issuer.token())).status).toBe(200);
    // Past the cooldown of that first fetch.
    vi.setSystemTime(Date.now() + 31_000);
    await issuer.rotate();
    const before = issuer.hits.jwks;
    expect((await get(issuer, await issuer.token())).status).toBe(200);
    expect(issuer.hits.jwks).toBe(before + 1);
  });
});

describe("an issuer that cannot be reached", () => {
  let issuer: FakeWorkloadIssuer;
  beforeAll(async () => {
    issuer = await fakeWorkloadIssuer("https://down.workloads.test");
  });

  it("gets its workloads a 503 with Retry-After, never a pass; the failure is remembered a minute, then they pass once it is back", async () => {
    issuer.setAvailable(false);
    const token = await issuer.token();
    const down = await get(issuer, token);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect(await down.json()).toMatchObject({ error: "temporarily_unavailable" });
    // Within the minute, every request is answered from the remembered failure: no call each time.
    for (let i = 0; i < 5; i++) expect((await get(issuer, token)).status).toBe(503);
    expect(issuer.hits.discovery).toBe(1);
    issuer.setAvailable(true);
    vi.setSystemTime(Date.now() + 59_000);
    expect((await get(issuer, token)).status).toBe(503);
    vi.setSystemTime(Date.now() + 2_000);
    expect((await get(issuer, token)).status).toBe(200);
    expect(issuer.hits.discovery).toBe(2);
  });
});

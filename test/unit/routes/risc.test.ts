import { SignJWT, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ada, callWith, setCookies, signedIn } from "../../support/workerd/helpers";
import { RISC_ISSUER, RISC_KID, riscSigningKey, riscTransmitterResponse } from "../../support/workerd/risc-transmitter";

/**
 * POST /auth/risc inside workerd, with the clock moved instead of waited for. The provider's
 * transmitter (https://issuer.test, outside this machine) is a fetch stand-in serving its
 * risc-configuration and keys (test/support/workerd/risc-transmitter.ts); the e2e tests push real
 * SETs from a real fake transmitter.
 */
const ISSUER = RISC_ISSUER;
const EVENT = (name: string) => `https://schemas.openid.net/secevent/risc/event-type/${name}`;
let privateKey: CryptoKey;
let realFetch: typeof fetch;

beforeAll(async () => {
  privateKey = await riscSigningKey();
  realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new Request(input, init).url;
    const transmitter = await riscTransmitterResponse(url);
    if (transmitter) return transmitter;
    if (url.startsWith("https://down.test/")) throw new TypeError("Network connection lost.");
    // A provider that publishes no RISC configuration at all (most besides Google).
    if (url === "https://no-risc.test/.well-known/risc-configuration")
      return new Response("not found", { status: 404 });
    return realFetch(input, init);
  });
});
afterAll(() => vi.restoreAllMocks());

let jtis = 0;
function set(events: Record<string, unknown>, claims: JWTPayload = {}, header: Record<string, unknown> = {}) {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT({ events, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: RISC_KID, typ: "secevent+jwt", ...header })
    .setIssuer((claims.iss as string) ?? ISSUER)
    .setAudience((claims.aud as string) ?? "unit-client")
    .setIssuedAt(claims.iat ?? nowSeconds)
    .setJti((claims.jti as string) ?? `jti-${Date.now()}-${++jtis}`)
    .sign(privateKey);
}
const about = (name: string, sub: string, iss = ISSUER) => ({
  [EVENT(name)]: { subject: { subject_type: "iss-sub", iss, sub } },
});
const post = (body: string, overrides: Record<string, unknown> = {}, contentType = "application/secevent+jwt") =>
  callWith(overrides, "/auth/risc", { method: "POST", headers: { "content-type": contentType }, body });
const refreshStatus = async (refresh: string) =>
  (await callWith({}, "/auth/refresh", { method: "POST", headers: { cookie: `__Host-refresh=${refresh}` } })).status;

describe("POST /auth/risc in workerd", () => {
  it("revokes every session of the subject at once, and answers 202 with no body", async () => {
    const sub = `unit-${Date.now()}`;
    const [one, two] = [await signedIn({ ...ada, sub }), await signedIn({ ...ada, sub })];
    const response = await post(await set(about("account-disabled", sub)));
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    expect(await refreshStatus(one.refresh)).toBe(401);
    expect(await refreshStatus(two.refresh)).toBe(401);
  });

  it("revokes by the time the event happened (its iat), not by the time it arrived: a session started since survives", async () => {
    const sub = `late-${Date.now()}`;
    const eventAtSeconds = Math.floor(Date.now() / 1000) - 600;
    try {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime((eventAtSeconds - 300) * 1000);
      const before = await signedIn({ ...ada, sub });
      // Signed in again five minutes after the event, before its late delivery.
      vi.setSystemTime((eventAtSeconds + 300) * 1000);
      const since = await signedIn({ ...ada, sub });
      vi.setSystemTime((eventAtSeconds + 600) * 1000);
      expect((await post(await set(about("sessions-revoked", sub), { iat: eventAtSeconds }))).status).toBe(202);
      expect(await refreshStatus(before.refresh)).toBe(401);
      expect(await refreshStatus(since.refresh)).toBe(204);
    } finally {
      vi.useRealTimers();
    }
  });

  it("logs a session it ended as ended by RISC, not as the person's own 'sign out everywhere'", async () => {
    const sub = `logged-${Date.now()}`;
    const session = await signedIn({ ...ada, sub });
    expect((await post(await set(about("sessions-revoked", sub)))).status).toBe(202);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await refreshStatus(session.refresh)).toBe(401);
      const lines = log.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
      expect(lines.find((line) => line.event === "refresh_refused")).toMatchObject({
        code: "ERR_REFRESH_REVOKED",
        detail: "risc",
      });
    } finally {
      log.mockRestore();
    }
  });

  it("ignores an event about another issuer's account, and an event type it does not act on", async () => {
    const sub = `other-${Date.now()}`;
    const session = await signedIn({ ...ada, sub });
    expect((await post(await set(about("account-disabled", sub, "https://elsewhere.example/")))).status).toBe(202);
    expect((await post(await set(about("account-enabled", sub)))).status).toBe(202);
    expect(await refreshStatus(session.refresh)).toBe(204);
  });

  it.each([
    ["an iat older than seven days", { iat: Math.floor(Date.now() / 1000) - 7 * 86_400 - 120 }, {}],
    ["an iat in the future", { iat: Math.floor(Date.now() / 1000) + 600 }, {}],
    ["another typ (an ID token passed off as a SET)", {}, { typ: "JWT" }],
  ])("refuses %s with invalid_request", async (_name, claims, header) => {
    const response = await post(await set(about("sessions-revoked", "x"), claims, header));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ err: "invalid_request", description: expect.any(String) });
  });

  it("refuses what is not a SET: no events, an account event without a subject, the wrong content type, an oversized body", async () => {
    const noEvents = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: RISC_KID })
      .setIssuer(ISSUER)
      .setAudience("unit-client")
      .setIssuedAt()
      .setJti("j")
      .sign(privateKey);
    for (const body of [noEvents, await set({ [EVENT("account-disabled")]: {} }), "not a jwt"]) {
      expect((await (await post(body)).json()) as object).toMatchObject({ err: "invalid_request" });
    }
    expect((await post(await set(about("sessions-revoked", "x")), {}, "application/jwt")).status).toBe(400);
    expect((await post("a".repeat(20_000))).status).toBe(400);
  });

  it("refuses a replayed jti, and still refuses the SET once its replay record may be gone (it is too old by then)", async () => {
    const sub = `replay-${Date.now()}`;
    const token = await set(about("sessions-revoked", sub), { jti: `fixed-${sub}` });
    expect((await post(token)).status).toBe(202);
    expect((await post(token)).status).toBe(400);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 7 * 86_400_000 + 120_000 });
    try {
      // Seven days on, the same SET is too old anyway: still refused, now for its age.
      expect((await post(token)).status).toBe(400);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses junk with 400 before asking the transmitter anything (no input a client sends yields a 5xx)", async () => {
    const before = vi.mocked(globalThis.fetch).mock.calls.length;
    const response = await post("not.a-jwt", { OIDC_ISSUER: "https://down.test" });
    expect(response.status).toBe(400);
    expect(vi.mocked(globalThis.fetch).mock.calls.length).toBe(before);
  });

  it("answers 503 when the transmitter cannot be reached, so it delivers again", async () => {
    const response = await post(await set(about("sessions-revoked", "x")), { OIDC_ISSUER: "https://down.test" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ error: "temporarily_unavailable" });
  });

  it("remembers a provider without RISC for a minute: one fetch, not one per event", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const fetches = () =>
        vi.mocked(globalThis.fetch).mock.calls.filter(([input]) => String(input).startsWith("https://no-risc.test/"))
          .length;
      const before = fetches();
      for (let i = 0; i < 3; i++)
        expect(
          (await post(await set(about("sessions-revoked", "x")), { OIDC_ISSUER: "https://no-risc.test" })).status,
        ).toBe(404);
      expect(fetches() - before).toBe(1);
      vi.setSystemTime(Date.now() + 61_000);
      expect(
        (await post(await set(about("sessions-revoked", "x")), { OIDC_ISSUER: "https://no-risc.test" })).status,
      ).toBe(404);
      expect(fetches() - before).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes only POST, and needs no cookie", async () => {
    const response = await callWith({}, "/auth/risc");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect([...setCookies(response).keys()]).toEqual([]);
  });
});

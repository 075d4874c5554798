import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../../demo/worker.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { startBrokenProvider, type BrokenProvider, type KeySetMode, type TokenMode } from "../support/broken-provider";
import { freePort } from "../support/stack";

/**
 * A provider that misbehaves at its token endpoint is the sign-in service failing, not a
 * bad request: 502 with the "Sign-in service unavailable" page, no session. Only what the
 * request itself got wrong stays 400: `invalid_grant` (a replayed or foreign code) and ID-token
 * claims that do not fit this sign-in (the full list is in callback-validation.test.ts).
 */
const PROVIDER_PAGE = "Sign-in service unavailable";

/**
 * One worker, two broken providers in OIDC_PROVIDERS (each trusted as the one OIDC_ISSUER
 * provider is): "steady", whose key set is served, and "keyless", whose key set fails from the
 * start, so that no key set of its issuer is ever cached. The worker keeps each issuer's keys
 * (and a failure to fetch them) apart, so the one never helps or hinders the other.
 */
const STEADY = { id: "steady", clientId: "broken-provider-client" };
const KEYLESS = { id: "keyless", clientId: "keyless-provider-client" };

let worker: Awaited<ReturnType<typeof startWorker>>;
let provider: BrokenProvider;
let keylessProvider: BrokenProvider;

beforeAll(async () => {
  [provider, keylessProvider] = await Promise.all([
    startBrokenProvider(STEADY.clientId),
    startBrokenProvider(KEYLESS.clientId, "http-500"),
  ]);
  const entry = ({ id, clientId }: typeof STEADY, { issuer }: BrokenProvider) => ({
    id,
    label: `${id} accounts`,
    issuer,
    clientId,
    googleStandIn: true,
  });
  worker = await startWorker({
    port: await freePort(),
    vars: {
      ORIGIN_URL: `http://127.0.0.1:${await freePort()}`,
      OIDC_ISSUER: "",
      OIDC_CLIENT_ID: "",
      OIDC_PROVIDERS: JSON.stringify([entry(STEADY, provider), entry(KEYLESS, keylessProvider)]),
      ALLOWED_DOMAINS: "*",
    },
    secrets: {
      OIDC_CLIENT_SECRET_STEADY: randomBytes(16).toString("hex"),
      OIDC_CLIENT_SECRET_KEYLESS: randomBytes(16).toString("hex"),
      SESSION_KEYS: JSON.stringify(await generateKeySet("ES256")),
    },
    logLevel: "none",
    rebuildOnChange: false,
  });
});
afterAll(async () => {
  await worker?.dispose();
  await Promise.all([provider?.close(), keylessProvider?.close()]);
});

/** Starts a sign-in at `at`, then comes back to the callback with a code that makes the provider do `mode`. */
async function callbackWith(mode: TokenMode, at: { id: string } = STEADY) {
  const login = await fetch(`${worker.url}/auth/login?provider=${at.id}&return_to=/after`, { redirect: "manual" });
  expect(login.status).toBe(302);
  const authorize = new URL(login.headers.get("location")!);
  const state = authorize.searchParams.get("state")!;
  const nonce = authorize.searchParams.get("nonce")!;
  const cookie = login.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  const response = await fetch(`${worker.url}/auth/callback?code=${mode}.${nonce}&state=${state}`, {
    redirect: "manual",
    headers: { cookie, accept: "text/html" },
  });
  const sessionCookies = response.headers.getSetCookie().filter((value) => /^__Host-(access|refresh)=[^;]/.test(value));
  return {
    status: response.status,
    body: await response.text(),
    sessionCookies,
    location: response.headers.get("location"),
  };
}

/** How long the worker waits for the provider (ISSUER_TIMEOUT_MS in src/oidc/remote-issuer.ts). */
const PROVIDER_TIMEOUT_MS = 5_000;

describe("the token endpoint misbehaving", () => {
  /**
   * The sign-in whose token endpoint answers too late (after 8 s) is started before the other
   * tests and awaited by its own: its wait for the worker's timeout runs beside them.
   */
  let tooSlow: Promise<{ result: Awaited<ReturnType<typeof callbackWith>>; elapsedMs: number }>;
  beforeAll(() => {
    const startedAtMs = Date.now();
    tooSlow = callbackWith("too-slow").then((result) => ({ result, elapsedMs: Date.now() - startedAtMs }));
    // Reported by the test that awaits it, not as an unhandled rejection first.
    tooSlow.catch(() => {});
  });

  it("signs in when the provider behaves (the control case)", async () => {
    const { status, location, sessionCookies } = await callbackWith("ok");
    expect(status).toBe(302);
    expect(location).toBe("/after");
    expect(sessionCookies).toHaveLength(2);
  });

  it.each<TokenMode>([
    "no-id-token",
    "no-access-token",
    "id-token-not-string",
    "unknown-token-type",
    "json-array",
    "not-json",
    "html-page",
    "json-as-text-plain",
    "no-content-type",
    "http-500-json",
    "http-503-html",
    "http-400-html",
    "http-404-empty",
    "invalid-client",
    "unauthorized-client",
  ])("%s: 502 with the sign-in-service page, no session", async (mode) => {
    const { status, body, sessionCookies } = await callbackWith(mode);
    expect(status).toBe(502);
    expect(body).toContain(PROVIDER_PAGE);
    expect(body).not.toMatch(/at-123|eyJ|Maintenance|Bad Gateway|invalid_client/);
    expect(sessionCookies).toEqual([]);
  });

  it("a token endpoint that does not answer in time: 502 as well, once the worker has waited its timeout", async () => {
    const {
      result: { status, body, sessionCookies },
      elapsedMs,
    } = await tooSlow;
    expect(elapsedMs).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS);
    expect(status).toBe(502);
    expect(body).toContain(PROVIDER_PAGE);
    expect(sessionCookies).toEqual([]);
  });
});

describe("the provider's key set failing", () => {
  it.each<KeySetMode>(["http-500", "not-a-key-set"])(
    "%s: 502 with the sign-in-service page, no session (the ID token is not at fault)",
    async (mode) => {
      keylessProvider.keySet = mode;
      const { status, body, sessionCookies } = await callbackWith("ok", KEYLESS);
      expect(status).toBe(502);
      expect(body).toContain(PROVIDER_PAGE);
      expect(sessionCookies).toEqual([]);
    },
  );
});

describe("what the request got wrong stays a 400", () => {
  it.each<TokenMode>(["invalid-grant", "claims-wrong-aud", "claims-no-sub", "claims-expired"])(
    "%s: 400, no session",
    async (mode) => {
      const { status, body, sessionCookies } = await callbackWith(mode);
      expect(status).toBe(400);
      expect(body).not.toContain(PROVIDER_PAGE);
      expect(sessionCookies).toEqual([]);
    },
  );
});

import { expect } from "vitest";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exportPKCS8, generateKeyPair } from "jose";
import { env } from "cloudflare:workers";
import worker from "../../../src/index";
import { loadConfig } from "../../../src/config/load-config";
import type { Config } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import type { Identity } from "../../../src/identity";
import { createKvSessionStore } from "../../../src/session/kv-store";
import { signAccessToken } from "../../../src/tokens/access-token";
import { createCloudflareKv } from "../cloudflare-kv";

export const ISSUER = "https://app.test";
export const testEnv = env;
export const ada: Identity = { provider: "default", sub: "1001", email: "ada@example.com" };

/**
 * A person no other test has seen: a `sub` of their own, with `email` (default ada's, which the
 * unit bindings allow). Test files share one store (vitest.config.ts), so a test that reads what
 * the store keeps per person (their list of sessions, a sign-out everywhere, a RISC event) signs
 * in as a new person rather than as `ada`, whose sessions other files create too.
 */
export function newPerson(email = ada.email): Identity {
  return { provider: "default", sub: `person-${crypto.randomUUID()}`, email };
}

export async function testConfig(): Promise<Config> {
  const result = await loadConfig(testEnv);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}

/**
 * The KV every unit test's worker sees: Cloudflare's as modelled (one write per key per second,
 * 1,000 operations per invocation, ...) over miniflare's real binding, never miniflare's alone.
 * Its clock is the worker's own (Date.now, which vi.setSystemTime moves).
 */
export const cloudflareKv = createCloudflareKv(testEnv.SESSIONS, { clock: () => Date.now() });

/** The echo origin (test/support/echo-origin.mjs) as a second worker in workerd, for the ORIGIN service binding. */
export const echoOriginWorker = (env as unknown as { ECHO_ORIGIN_WORKER: Fetcher }).ECHO_ORIGIN_WORKER;

/**
 * The two ways the gate reaches the origin (docs/configuration.md, ORIGIN), for the promises that must hold on
 * both: the network to ORIGIN_URL, and the ORIGIN service binding (no ORIGIN_URL at all, so
 * ORIGIN_AUDIENCE is required). Both lead to the same echo origin.
 */
export const ORIGIN_PATHS = [
  { name: "ORIGIN_URL", bindings: {}, audience: "http://origin.test" },
  {
    name: "the ORIGIN service binding",
    bindings: { ORIGIN: echoOriginWorker, ORIGIN_URL: "", ORIGIN_AUDIENCE: "urn:example:echo-origin" },
    audience: "urn:example:echo-origin",
  },
] as const;

/** A request to the worker under test, through its real fetch handler, as one invocation. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return callWith({}, path, init);
}

/** An access token as the worker signs it for ISSUER, issued at `iatSeconds` for ACCESS_TOKEN_TTL. */
export function accessTokenFor(config: Config, identity: Identity, sid: string, iatSeconds: number): Promise<string> {
  return signAccessToken(
    config.sessionKeys!,
    { publicOrigin: ISSUER, authPrefix: config.authPrefix },
    identity,
    sid,
    iatSeconds,
    iatSeconds + config.accessTokenTtlSeconds,
  );
}

/** A signed-in session as the callback would create it: a session in the store plus cookies. */
export async function signedIn(identity: Identity = ada, kv = cloudflareKv.binding()) {
  const config = await testConfig();
  const store = createKvSessionStore(kv, config.refreshTokenTtlSeconds);
  const now = Date.now();
  const issued = await store.create(identity, now, config.refreshTokenTtlSeconds);
  const access = await accessTokenFor(config, identity, issued.familyId, Math.floor(now / 1000));
  return {
    config,
    store,
    issued,
    access,
    refresh: issued.credential,
    cookie: `__Host-access=${access}; __Host-refresh=${issued.credential}`,
  };
}

/** Every Set-Cookie value of a response, by cookie name. */
export function setCookies(response: Response): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of response.headers.getSetCookie()) map.set(value.slice(0, value.indexOf("=")), value);
  return map;
}

export function cookieValue(setCookie: string | undefined): string | undefined {
  return setCookie?.slice(setCookie.indexOf("=") + 1).split(";")[0];
}

/**
 * The worker's fetch handler, as one invocation, with some bindings changed (configuration
 * tests, a dead origin, a service binding, a recording AUTH_METRICS), on `origin` (default: ours).
 */
export async function callWith(
  overrides: Partial<Record<keyof Env, unknown>>,
  path: string,
  init: RequestInit = {},
  origin = ISSUER,
): Promise<Response> {
  const ctx = createExecutionContext();
  const bindings = { ...testEnv, SESSIONS: cloudflareKv.binding(), ...overrides } as Env;
  const response = await worker.fetch(
    new Request(`${origin}${path}`, { redirect: "manual", ...init }) as never,
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** A Google service-account key as the Cloud console downloads it (JSON), with a fresh RSA key. */
export async function serviceAccountKey(
  clientEmail = "groups-reader@project.iam.gserviceaccount.com",
): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return JSON.stringify({
    type: "service_account",
    project_id: "project",
    private_key_id: "k1",
    private_key: await exportPKCS8(privateKey),
    client_email: clientEmail,
    token_uri: "https://oauth2.googleapis.com/token",
  });
}

/** Each pattern matches one of `problems`, and there are no others: every problem reported, each once. */
export function expectExactlyProblems(problems: readonly string[], expected: readonly RegExp[]): void {
  for (const pattern of expected)
    expect(
      problems.some((problem) => pattern.test(problem)),
      String(pattern),
    ).toBe(true);
  expect(problems).toHaveLength(expected.length);
}

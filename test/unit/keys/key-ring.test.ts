import { decodeProtectedHeader } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig, type Config } from "../../../src/config/parse-config";
import type { Env } from "../../../src/env";
import { AuthError } from "../../../src/errors";
import { signingKeysAt } from "../../../src/keys/key-ring";
import { createDurableObjectSigningKeyStore, createKvSigningKeyStore } from "../../../src/keys/key-store";
import { signAccessToken, verifyAccessToken } from "../../../src/tokens/access-token";
import { createCloudflareKv } from "../../support/cloudflare-kv";
import { ada, callWith, ISSUER, testEnv } from "../../support/workerd/helpers";

/**
 * The isolate's copy of the worker's own keys (src/keys/key-ring.ts) on Cloudflare's KV as
 * modelled: 60 s between locations, one write per key per second. Each parseConfig() result is
 * one isolate here (the copy belongs to the parsed configuration, as in production, where an
 * isolate parses it once).
 */
const SECRET_A = "mrjiEhBjqzlmy0xOuRL88fgEm963a8U884hYsvWtWZU";
const SECRET_B = "q3Zb0Jb9yJm3r1-7O2cJX5bqv2C0xH3cT9f0yB1pK4s";
const T0 = Date.UTC(2027, 2, 1, 10, 0, 0);
const where = { publicOrigin: ISSUER, authPrefix: "/auth" };

let now = T0;
const kv = () => createCloudflareKv(testEnv.SESSIONS, { clock: () => now });

async function isolate(secret = SECRET_A): Promise<Config> {
  const result = await parseConfig({
    ...testEnv,
    KEY_ROTATION: "auto",
    KEY_WRAPPING_SECRET: secret,
    SESSION_KEYS: "",
  } as Env);
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}
const envAt = (model: ReturnType<typeof kv>, location: string) =>
  ({ ...testEnv, SESSIONS: model.binding(location) }) as Env;
const tokenFrom = async (config: Config, env: Env) => {
  const keys = await signingKeysAt(config, env, now);
  const iat = Math.floor(now / 1000);
  return signAccessToken(keys, where, ada, "s".repeat(22), iat, iat + 900);
};
const verifies = async (config: Config, env: Env, token: string) =>
  verifyAccessToken(await signingKeysAt(config, env, now), where, token, Math.floor(now / 1000), 900).then(
    () => true,
    (error: { code?: string }) => error.code,
  );

beforeEach(async () => {
  now = T0;
  const keys = createKvSigningKeyStore(testEnv.SESSIONS);
  await keys.remove((await keys.list()).map((key) => key.kid));
});
afterEach(() => vi.restoreAllMocks());

describe("the worker's own keys in an isolate (KEY_ROTATION = auto, KV)", () => {
  it("reads the store when the isolate starts and then hourly, never per request", async () => {
    const model = kv();
    const config = await isolate();
    const token = await tokenFrom(config, envAt(model, "here"));
    const reads = model.stats().reads;
    for (let i = 0; i < 50; i++) {
      now += 60_000;
      expect(await verifies(config, envAt(model, "here"), token)).toBe(i < 14 ? true : "ERR_JWT_EXPIRED");
    }
    expect(model.stats().reads).toBe(reads);
    now = T0 + 3_600_000;
    await signingKeysAt(config, envAt(model, "here"), now);
    expect(model.stats().reads).toBe(reads + 1);
  });

  it("two isolates at two locations making the first key at once: each key kept, every token verified within a minute, one signer after", async () => {
    const model = kv();
    const [a, b] = [await isolate(), await isolate()];
    const [atA, atB] = [envAt(model, "a"), envAt(model, "b")];
    const fromA = await tokenFrom(a, atA);
    // B reads before A's key has reached it (KV: up to 60 s) and makes its own.
    const fromB = await tokenFrom(b, atB);
    const [kidA, kidB] = [decodeProtectedHeader(fromA).kid, decodeProtectedHeader(fromB).kid];
    expect(kidA).not.toBe(kidB);
    // Not yet known to each other: refused (a browser would refresh), and each isolate rereads soon.
    expect(await verifies(b, atB, fromA)).toBe("ERR_JWKS_NO_MATCHING_KEY");
    expect(await verifies(a, atA, fromB)).toBe("ERR_JWKS_NO_MATCHING_KEY");
    now += 61_000;
    expect(await verifies(b, envAt(model, "b"), fromA)).toBe(true);
    expect(await verifies(a, envAt(model, "a"), fromB)).toBe(true);
    const signers = [
      decodeProtectedHeader(await tokenFrom(a, envAt(model, "a"))).kid,
      decodeProtectedHeader(await tokenFrom(b, envAt(model, "b"))).kid,
    ];
    expect(signers[0]).toBe(signers[1]);
    expect([kidA, kidB]).toContain(signers[0]);
  });

  it("on the Durable Object store, two isolates making the first key at once agree at once: both keys known, one signer", async () => {
    const onObject = async () => {
      const result = await parseConfig({
        ...testEnv,
        KEY_ROTATION: "auto",
        KEY_WRAPPING_SECRET: SECRET_A,
        SESSION_KEYS: "",
        SESSION_STORE: "durable-object",
      } as Env);
      if (!result.ok) throw new Error(result.problems.join("; "));
      return result.config;
    };
    const objects = createDurableObjectSigningKeyStore(testEnv.SESSION_FAMILIES);
    await objects.remove((await objects.list()).map((key) => key.kid));
    const [a, b] = [await onObject(), await onObject()];
    const [keysA, keysB] = await Promise.all([signingKeysAt(a, testEnv, now), signingKeysAt(b, testEnv, now)]);
    expect(keysA.signing.kid).toBe(keysB.signing.kid);
    const kids = (keys: typeof keysA) => keys.publicJwks.keys.map((key) => key.kid).sort();
    expect(kids(keysA)).toEqual(kids(keysB));
    expect((await objects.list()).map((key) => key.kid).sort()).toEqual(kids(keysA));
  });

  it("with a KEY_WRAPPING_SECRET that opens none of the stored keys: they still verify, a new key signs, and the log says why", async () => {
    const model = kv();
    const before = await isolate(SECRET_A);
    const token = await tokenFrom(before, envAt(model, "here"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const after = await isolate(SECRET_B);
    now += 1000;
    expect(await verifies(after, envAt(model, "here"), token)).toBe(true);
    const fresh = await tokenFrom(after, envAt(model, "here"));
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(token).kid);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, string>);
    expect(logged).toContainEqual(
      expect.objectContaining({ event: "signing_key_unreadable", kid: decodeProtectedHeader(token).kid }),
    );
    expect(JSON.stringify(logged)).not.toContain(SECRET_B);
  });

  it("a store outage: an isolate with its keys keeps them; one that starts during it answers 503 and keeps the cookies", async () => {
    const model = kv();
    const running = await isolate();
    const token = await tokenFrom(running, envAt(model, "here"));
    model.setOutage(true);
    now += 2 * 3_600_000; // its copy is due for a reread, which fails: the copy stays
    vi.spyOn(console, "warn").mockImplementation(() => {});
    // It still signs and verifies with its copy (the reread is tried again a minute later).
    const later = await tokenFrom(running, envAt(model, "here"));
    expect(decodeProtectedHeader(later).kid).toBe(decodeProtectedHeader(token).kid);
    expect(await verifies(running, envAt(model, "here"), later)).toBe(true);
    const starting = await isolate(SECRET_A);
    await expect(Promise.resolve(signingKeysAt(starting, envAt(model, "here"), now))).rejects.toMatchObject({
      code: "ERR_SESSION_STORE_UNAVAILABLE",
    } satisfies Partial<AuthError>);
    vi.spyOn(console, "log").mockImplementation(() => {});
    const response = await callWith(
      { SESSIONS: model.binding("here"), KEY_ROTATION: "auto", KEY_WRAPPING_SECRET: SECRET_B, SESSION_KEYS: "" },
      "/page",
      { headers: { cookie: `__Host-refresh=anything; __Host-access=${token}` } },
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBeTruthy();
    expect(response.headers.getSetCookie()).toEqual([]);
    // A public path needs no key: it is served all the same.
    const open = await callWith(
      { SESSIONS: model.binding("here"), KEY_ROTATION: "auto", KEY_WRAPPING_SECRET: SECRET_B, SESSION_KEYS: "" },
      "/healthz",
    );
    expect(open.status).toBe(200);
  });
});

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../../src/index";
import type { Env } from "../../../src/env";
import { createDurableObjectSigningKeyStore, createKvSigningKeyStore } from "../../../src/keys/key-store";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import { createKvSessionStore } from "../../../src/session/kv-store";
import type { SessionStore } from "../../../src/session/store";
import { ada, cloudflareKv, cookieValue, ISSUER, ORIGIN_PATHS, setCookies, testEnv } from "./helpers";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACCESS_TTL_SECONDS = 900;
/** The origin assertion's lifetime (docs/reference.md), seconds. */
const ASSERTION_TTL_SECONDS = 300;
/** A secret as setup makes it: 32 random bytes, base64url. */
const wrappingSecret = () =>
  btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/**
 * The origin behind the ORIGIN service binding (a second worker in workerd): the same echo origin
 * as behind ORIGIN_URL, without a trip out of workerd to the test's host on each of the year's
 * thousands of proxied requests (about five times faster here).
 */
const { bindings: originBinding, audience: AUDIENCE } = ORIGIN_PATHS[1];

function autoBindings(store: "kv" | "durable-object"): Env {
  return {
    ...testEnv,
    ...originBinding,
    KEY_ROTATION: "auto",
    KEY_ROTATION_DAYS: "30",
    KEY_WRAPPING_SECRET: wrappingSecret(),
    // Only keys the worker makes: SESSION_KEYS, optional here, is left out.
    SESSION_KEYS: "",
    SESSION_STORE: store,
    ACCESS_TOKEN_TTL: String(ACCESS_TTL_SECONDS),
    // A session that outlives the year, so that only the keys could sign anyone out.
    REFRESH_TOKEN_TTL: "34560000",
  } as Env;
}

/** One invocation: a KV binding of its own (the model counts operations per invocation). */
const invocation = (env: Env) => ({ ...env, SESSIONS: cloudflareKv.binding() });

async function call(env: Env, path: string, cookie?: string): Promise<Response> {
  const ctx = createExecutionContext();
  const init = cookie ? { headers: { cookie } } : {};
  const request = new Request(`${ISSUER}${path}`, { redirect: "manual", ...init });
  const response = await worker.fetch(request as never, invocation(env), ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** One run of the cron trigger, through the worker's scheduled handler. */
async function cron(env: Env): Promise<void> {
  const controller = { scheduledTime: Date.now(), cron: "17 * * * *", noRetry() {} } as ScheduledController;
  await worker.scheduled(controller, invocation(env));
}

const jwksAt = async (env: Env) => (await (await call(env, "/.well-known/jwks.json")).json()) as JSONWebKeySet;
const kids = (set: JSONWebKeySet) => set.keys.map((key) => key.kid!);

/**
 * A year of KEY_ROTATION = "auto" on one session store, under a moved clock: each store's half is
 * a test file of its own (test/unit/keys/automatic-key-rotation-*.test.ts), so the two run side by side.
 */
export function yearOfRotations(store: "kv" | "durable-object"): void {
  const sessions = (): SessionStore =>
    store === "kv"
      ? createKvSessionStore(cloudflareKv.binding(), 34_560_000)
      : createDurableObjectSessionStore(testEnv.SESSION_FAMILIES);
  describe(`KEY_ROTATION = auto on the '${store}' store`, () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    // Each test starts with no stored key (storage lasts for the whole run, other files' keys included).
    beforeEach(async () => {
      for (const keys of [
        createKvSigningKeyStore(testEnv.SESSIONS),
        createDurableObjectSigningKeyStore(testEnv.SESSION_FAMILIES),
      ])
        await keys.remove((await keys.list()).map((key) => key.kid));
    });

    it("runs a year of cron triggers: keys rotate every 30 days, published a day first, kept until their tokens expire, nobody signed out", async () => {
      const start = Date.UTC(2027, 0, 1, 9, 0, 0);
      vi.useFakeTimers({ now: start, toFake: ["Date"] });
      // The worker's info lines (a few thousand in a year), kept rather than printed: each cron
      // run's own account of what it made and removed is read where a run is checked.
      const logged = vi.spyOn(console, "log").mockImplementation(() => {});
      const env = autoBindings(store);
      // A session started before any key exists: the first request must be able to sign.
      let refresh = (await sessions().create(ada, start, 34_560_000)).credential;

      const published: { at: number; kids: string[] }[] = [];
      const signedWith: { at: number; kid: string }[] = [];
      const everKid = new Set<string>();
      const aroundSwitches: number[] = [];
      /** The access token issued at the last refresh has expired: the refresh cookie brings a new one. */
      const refreshed = async () => {
        const response = await call(env, "/page", `__Host-refresh=${refresh}`);
        expect(response.status).toBe(200);
        const cookies = setCookies(response);
        refresh = cookieValue(cookies.get("__Host-refresh"))!;
        const access = cookieValue(cookies.get("__Host-access"))!;
        const assertion = ((await response.json()) as { headers: Record<string, string> }).headers["x-auth-assertion"]!;
        const { kid } = decodeProtectedHeader(access);
        expect(decodeProtectedHeader(assertion).kid).toBe(kid);
        signedWith.push({ at: Date.now(), kid: kid! });
        return { access, assertion };
      };
      for (let at = start; at < start + 365 * DAY; at += 7 * HOUR) {
        vi.setSystemTime(at);
        // Steps of 7 hours, so that key switches fall between them; the cron runs once a step.
        if (at > start) await cron(env);
        // The very first request signs, with no key made before it.
        let signed = at === start ? await refreshed() : undefined;

        // The key set, every step.
        const now = await jwksAt(env);
        published.push({ at, kids: kids(now) });
        for (const key of now.keys) {
          everKid.add(key.kid!);
          expect(key).not.toHaveProperty("d");
        }
        // Never more than the previous key, the signing one and the next one.
        expect(now.keys.length).toBeLessThanOrEqual(3);

        // Around a switch: the next key published, the old one still kept, or the key set just
        // changed (this step's run made or removed a key). There a run does work, the signing key
        // changes and a key could go too early, so the person refreshes every step and each check
        // is made. Between switches one key signs alone and nothing is due: they refresh at least
        // daily, and every step's run (and key set) shows that a run with nothing due changes nothing.
        const nearSwitch = now.keys.length > 1 || published.at(-2)?.kids.join(" ") !== kids(now).join(" ");
        if (!signed && (nearSwitch || at - signedWith.at(-1)!.at >= 21 * HOUR)) signed = await refreshed();
        if (!signed) continue;
        const { access, assertion } = signed;
        // The origin verifies the assertion against the key set it fetches now.
        await jwtVerify(assertion, createLocalJWKSet(now), { issuer: ISSUER, audience: AUDIENCE });
        if (!nearSwitch) continue;
        aroundSwitches.push(at);
        // A second run at the same moment changes nothing (the cron may fire twice, or be retried),
        // and says so.
        logged.mockClear();
        await cron(env);
        expect(kids(await jwksAt(env))).toEqual(kids(now));
        const runs = logged.mock.calls
          .map(([line]) => JSON.parse(String(line)) as Record<string, unknown>)
          .filter((line) => line.event === "signing_keys_checked");
        expect(runs).toHaveLength(1);
        expect(runs[0]).not.toHaveProperty("created");
        expect(runs[0]).not.toHaveProperty("removed");
        // Just before the assertion expires, its key is still published.
        vi.setSystemTime(at + (ASSERTION_TTL_SECONDS - 1) * 1000);
        await jwtVerify(assertion, createLocalJWKSet(await jwksAt(env)), { issuer: ISSUER, audience: AUDIENCE });
        // Just before the access token expires, it is still taken on its own, whatever key signs now.
        vi.setSystemTime(at + (ACCESS_TTL_SECONDS - 1) * 1000);
        expect((await call(env, "/page", `__Host-access=${access}`)).status).toBe(200);
      }

      // Rotated every 30 days: the first key and then one about each month (12 or 13 in a year).
      const signers = [...new Set(signedWith.map((entry) => entry.kid))];
      expect(signers.length).toBeGreaterThanOrEqual(12);
      expect(signers.length).toBeLessThanOrEqual(14);
      // Every key published signed, but the next one when it is already published.
      expect(everKid.size - signers.length).toBeGreaterThanOrEqual(0);
      expect(everKid.size - signers.length).toBeLessThanOrEqual(1);
      for (const [i, kid] of signers.entries()) {
        const firstSigned = signedWith.find((entry) => entry.kid === kid)!.at;
        if (i > 0) {
          // Published in every key set of the day before it first signed.
          const dayBefore = published.filter((entry) => entry.at >= firstSigned - DAY && entry.at < firstSigned);
          expect(dayBefore.length).toBeGreaterThanOrEqual(3);
          for (const entry of dayBefore) expect(entry.kids).toContain(kid);
          // About 30 days after the one before it.
          const previous = signedWith.find((entry) => entry.kid === signers[i - 1])!.at;
          expect(firstSigned - previous).toBeGreaterThanOrEqual(29 * DAY);
          expect(firstSigned - previous).toBeLessThanOrEqual(31 * DAY);
        }
        // Gone from the key set within a day of the end of its tokens' lives (ACCESS_TOKEN_TTL and
        // a margin after it stopped signing), never before.
        const lastSigned = signedWith.filter((entry) => entry.kid === kid).at(-1)!.at;
        const gone = published.find((entry) => entry.at > lastSigned && !entry.kids.includes(kid));
        if (i < signers.length - 1) {
          expect(gone).toBeDefined();
          expect(gone!.at - lastSigned).toBeLessThanOrEqual(DAY);
          // The checks around a switch ran on its both sides (the last step this key signed, the
          // first the next one did) and where this key went.
          const firstOfNext = signedWith[signedWith.findIndex((entry) => entry.at === lastSigned) + 1]!.at;
          for (const step of [lastSigned, firstOfNext, gone!.at]) expect(aroundSwitches).toContain(step);
        }
      }
    }, 300_000);

    it("around a switch: the next key is published a day early, the old key's last tokens stay valid to their end, then it goes", async () => {
      const start = Date.UTC(2027, 5, 1, 12, 0, 0);
      vi.useFakeTimers({ now: start, toFake: ["Date"] });
      const env = autoBindings(store);
      let refresh = (await sessions().create(ada, start, 34_560_000)).credential;
      const signIn = async () => {
        const response = await call(env, "/page", `__Host-refresh=${refresh}`);
        expect(response.status).toBe(200);
        refresh = cookieValue(setCookies(response).get("__Host-refresh"))!;
        const access = cookieValue(setCookies(response).get("__Host-access"))!;
        const body = (await response.json()) as { headers: Record<string, string> };
        return { access, assertion: body.headers["x-auth-assertion"]!, kid: decodeProtectedHeader(access).kid! };
      };
      const first = await signIn();
      expect(kids(await jwksAt(env))).toEqual([first.kid]);
      const switchAt = start + 30 * DAY;

      // Not made yet a day and three hours before the switch; made by the next hourly runs, to
      // sign exactly 30 days after the first key.
      vi.setSystemTime(switchAt - DAY - 3 * HOUR + 17 * 60_000);
      await cron(env);
      expect(kids(await jwksAt(env))).toEqual([first.kid]);
      vi.setSystemTime(switchAt - DAY - HOUR + 17 * 60_000);
      await cron(env);
      const next = kids(await jwksAt(env)).filter((kid) => kid !== first.kid);
      expect(next).toHaveLength(1);
      // The run that made it, run again at the same moment (a cron fired twice), makes no other.
      await cron(env);
      expect(kids(await jwksAt(env))).toEqual([next[0], first.kid]);
      // Published, not signing: a request a minute before the switch still gets the old key.
      vi.setSystemTime(switchAt - 60_000);
      const last = await signIn();
      expect(last.kid).toBe(first.kid);
      // From the switch on, the new key signs; the old key's last tokens are taken to their end.
      vi.setSystemTime(switchAt);
      expect((await signIn()).kid).toBe(next[0]);
      vi.setSystemTime(switchAt - 60_000 + (ASSERTION_TTL_SECONDS - 1) * 1000);
      const jwks = createLocalJWKSet(await jwksAt(env));
      await jwtVerify(last.assertion, jwks, { issuer: ISSUER, audience: AUDIENCE });
      vi.setSystemTime(switchAt - 60_000 + (ACCESS_TTL_SECONDS - 1) * 1000);
      expect((await call(env, "/page", `__Host-access=${last.access}`)).status).toBe(200);
      // The old key stays published ACCESS_TOKEN_TTL plus an hour after the switch, and the cron removes it then.
      vi.setSystemTime(switchAt + (ACCESS_TTL_SECONDS * 1000 + HOUR) - 1000);
      await cron(env);
      expect(kids(await jwksAt(env))).toEqual([next[0], first.kid]);
      vi.setSystemTime(switchAt + ACCESS_TTL_SECONDS * 1000 + HOUR);
      await cron(env);
      expect(kids(await jwksAt(env))).toEqual([next[0]]);
      // Run again, it removes nothing more and makes nothing: the next switch is 30 days away.
      await cron(env);
      expect(kids(await jwksAt(env))).toEqual([next[0]]);
    }, 60_000);
  });
}

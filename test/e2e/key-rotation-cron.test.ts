import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectFor } from "../../demo/provider.mjs";
import { Browser } from "../support/http-client";
import { buildGoExampleOrigin, startProcessOrigin, type ProcessOrigin } from "../support/process-origin";
import { startStack, type Stack } from "../support/stack";

/**
 * KEY_ROTATION = "auto" end to end: the worker under wrangler with `/__scheduled` (what
 * `wrangler dev --test-scheduled` serves), the real local provider, and an origin that verifies
 * X-Auth-Assertion with each verifier we ship (Node's in the demo origin, Python's, Go's). The
 * clock is real here, so a whole schedule is the unit test's (test/unit/keys/); this one runs the
 * cron trigger over HTTP and checks that its keys are ones every verifier accepts.
 */
const buildDir = mkdtempSync(join(tmpdir(), "e2e-cron-"));
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

type Origin = Parameters<typeof startStack>[0] extends infer O ? (O extends { origin?: infer F } ? F : never) : never;
const ORIGINS: { verifier: string; origin: () => Promise<Origin | undefined> }[] = [
  { verifier: "Node (the demo origin)", origin: async () => undefined },
  {
    verifier: "Python",
    origin:
      async () =>
      ({ workerUrl, audience }) =>
        startProcessOrigin("/usr/bin/python3", ["verifier/python/example_origin.py"], {
          WORKER_URL: workerUrl,
          AUDIENCE: audience,
          PORT: "0",
        }),
  },
  {
    verifier: "Go",
    origin: async () => {
      const binary = join(buildDir, "example-origin");
      await buildGoExampleOrigin(binary);
      return ({ workerUrl, audience }) =>
        startProcessOrigin(binary, [], {
          WORKER_URL: workerUrl,
          AUDIENCE: audience,
          PORT: "0",
        }) as Promise<ProcessOrigin>;
    },
  },
];

describe.each(ORIGINS)("KEY_ROTATION = auto, cron over HTTP, verified by $verifier", ({ origin }) => {
  let stack: Stack;
  beforeAll(async () => {
    const own = await origin();
    stack = await startStack({
      // A one-day period: the first cron run already makes the next key (published, not signing).
      vars: { KEY_ROTATION: "auto", KEY_ROTATION_DAYS: "1", ACCESS_TOKEN_TTL: "60" },
      secrets: { KEY_WRAPPING_SECRET: randomBytes(32).toString("base64url") },
      testScheduled: true,
      ...(own ? { origin: own } : {}),
    });
  }, 120_000);
  afterAll(() => stack?.close());

  /** What the origin made of X-Auth-Assertion: the example origins answer the identity, the demo origin a page saying so. */
  const verdict = async (response: Response) => {
    const body = await response.text();
    if (body.includes("assertion verified against the worker's JWKS")) return "verified";
    const identity = JSON.parse(body) as { sub?: string; email?: string };
    return identity.sub === subjectFor("ada@example.com") && identity.email === "ada@example.com" ? "verified" : body;
  };
  const jwks = async () =>
    ((await (await fetch(`${stack.workerUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet).keys.map((key) => {
      expect(key).not.toHaveProperty("d");
      return key.kid!;
    });

  it("signs from the first sign-in with a key it made, publishes the next one when the cron runs, and the session goes on", async () => {
    const configured = stack.sessionKeys.keys[0]!.kid;
    const browser = new Browser();
    const { response } = await browser.signIn(`${stack.workerUrl}/whoami`, "ada@example.com");
    expect(response.status).toBe(200);
    expect(await verdict(response)).toBe("verified");
    const access = browser.jar.get(stack.workerUrl, "__Host-access")!;
    const signing = decodeProtectedHeader(access).kid!;
    // Its own key, not SESSION_KEYS' (which, with "auto", only verifies and is published).
    expect(signing).not.toBe(configured);
    expect((await jwks()).sort()).toEqual([configured, signing].sort());

    const ran = await fetch(`${stack.workerUrl}/__scheduled?cron=17+*+*+*+*`);
    expect(ran.status).toBe(200);
    const after = await jwks();
    const next = after.filter((kid) => kid !== configured && kid !== signing);
    expect(next).toHaveLength(1);

    // The same session, the same signing key until the next one's time: the origin verifies it.
    const again = await browser.request(`${stack.workerUrl}/whoami`);
    expect(again.status).toBe(200);
    expect(await verdict(again)).toBe("verified");
    expect(decodeProtectedHeader(browser.jar.get(stack.workerUrl, "__Host-access")!).kid).toBe(signing);

    // A second run changes nothing: the next key is already waiting.
    expect((await fetch(`${stack.workerUrl}/__scheduled`)).status).toBe(200);
    expect((await jwks()).sort()).toEqual(after.sort());
  }, 60_000);
});

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrigin } from "../../demo/origin.mjs";
import { subjectFor } from "../../demo/provider.mjs";
import { Browser } from "../support/http-client";
import { buildGoExampleOrigin, startProcessOrigin } from "../support/process-origin";
import { ORIGIN_AUDIENCE } from "../support/stack-settings";
import { startStack, type Stack } from "../support/stack";

/**
 * KEY_ROTATION = "auto" end to end: the worker under wrangler with `/__scheduled` (what
 * `wrangler dev --test-scheduled` serves), the real local provider, and an origin that verifies
 * X-Auth-Assertion with each verifier we ship (Node's in the demo origin, Python's, Go's). The
 * clock is real here, so a whole schedule is the unit test's (test/unit/keys/); this one runs the
 * cron trigger over HTTP and checks that its keys are ones every verifier accepts.
 *
 * One worker for the three verifiers: each verifier's origin is started in turn on the port of
 * the worker's ORIGIN_URL, and asked both before the cron runs (the key set holds SESSION_KEYS' key
 * and the one the worker made) and after (a third key, published and not yet signing). A verifier
 * started after the cron has never seen the key set before, so it picks the signing key out of all
 * three by its `kid`.
 */
const buildDir = mkdtempSync(join(tmpdir(), "e2e-cron-"));
const goBinary = join(buildDir, "example-origin");

interface Verifier {
  name: string;
  /** Its origin on `port`, verifying the worker's assertions. */
  start(port: number, workerUrl: string): Promise<{ close(): Promise<void> }>;
}
const exampleEnv = (port: number, workerUrl: string) => ({
  WORKER_URL: workerUrl,
  AUDIENCE: ORIGIN_AUDIENCE,
  PORT: String(port),
});
const VERIFIERS: Verifier[] = [
  {
    name: "Node (the demo origin)",
    start: (port, workerUrl) =>
      startOrigin({
        port,
        jwksUrl: `${workerUrl}/.well-known/jwks.json`,
        issuer: workerUrl,
        audience: ORIGIN_AUDIENCE,
      }),
  },
  {
    name: "Python",
    start: (port, workerUrl) =>
      startProcessOrigin("/usr/bin/python3", ["verifier/python/example_origin.py"], exampleEnv(port, workerUrl)),
  },
  { name: "Go", start: (port, workerUrl) => startProcessOrigin(goBinary, [], exampleEnv(port, workerUrl)) },
];

let stack: Stack;
const browser = new Browser();
beforeAll(async () => {
  await buildGoExampleOrigin(goBinary);
  stack = await startStack({
    // A one-day period: the first cron run already makes the next key (published, not signing).
    vars: { KEY_ROTATION: "auto", KEY_ROTATION_DAYS: "1", ACCESS_TOKEN_TTL: "60" },
    secrets: { KEY_WRAPPING_SECRET: randomBytes(32).toString("base64url") },
    testScheduled: true,
    // Nothing listens on ORIGIN_URL's port until a test starts a verifier's origin there.
    originDown: true,
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  rmSync(buildDir, { recursive: true, force: true });
});

/** What the origin made of X-Auth-Assertion: the example origins answer the identity, the demo origin a page saying so. */
async function verdict(response: Response): Promise<string> {
  const body = await response.text();
  if (body.includes("assertion verified against the worker's JWKS")) return "verified";
  try {
    const identity = JSON.parse(body) as { sub?: string; email?: string };
    return identity.sub === subjectFor("ada@example.com") && identity.email === "ada@example.com" ? "verified" : body;
  } catch {
    return `${response.status}: ${body}`;
  }
}

/** The worker's published key ids (and never a private key among them). */
async function publishedKids(): Promise<string[]> {
  const { keys } = (await (await fetch(`${stack.workerUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  return keys.map((key) => {
    expect(key).not.toHaveProperty("d");
    return key.kid!;
  });
}

/** `path` asked through each verifier's origin in turn, with the browser's session: what each made of it. */
async function askEachVerifier(path: string, verifiers = VERIFIERS): Promise<Record<string, string>> {
  const port = Number(new URL(stack.originUrl).port);
  const verdicts: Record<string, string> = {};
  for (const verifier of verifiers) {
    const origin = await verifier.start(port, stack.workerUrl);
    try {
      const response = await browser.request(`${stack.workerUrl}${path}`);
      verdicts[verifier.name] = await verdict(response);
    } finally {
      await origin.close();
    }
  }
  return verdicts;
}
const allVerified = Object.fromEntries(VERIFIERS.map(({ name }) => [name, "verified"]));
const signingKid = () => decodeProtectedHeader(browser.jar.get(stack.workerUrl, "__Host-access")!).kid!;

describe("KEY_ROTATION = auto, cron over HTTP, verified by every verifier we ship", () => {
  let signing: string;
  let afterCron: string[];

  it("signs from the first sign-in with a key it made, which every verifier accepts", async () => {
    const configured = stack.sessionKeys.keys[0]!.kid;
    const port = Number(new URL(stack.originUrl).port);
    const first = await VERIFIERS[0]!.start(port, stack.workerUrl);
    try {
      const { response } = await browser.signIn(`${stack.workerUrl}/whoami`, "ada@example.com");
      expect(response.status).toBe(200);
      expect(await verdict(response)).toBe("verified");
    } finally {
      await first.close();
    }
    signing = signingKid();
    // Its own key, not SESSION_KEYS' (which, with "auto", only verifies and is published).
    expect(signing).not.toBe(configured);
    expect((await publishedKids()).sort()).toEqual([configured, signing].sort());
    expect(await askEachVerifier("/whoami", VERIFIERS.slice(1))).toEqual(
      Object.fromEntries(VERIFIERS.slice(1).map(({ name }) => [name, "verified"])),
    );
  }, 60_000);

  it("publishes the next key when the cron runs, and the session goes on, verified by each verifier", async () => {
    const before = await publishedKids();
    const ran = await fetch(`${stack.workerUrl}/__scheduled?cron=17+*+*+*+*`);
    expect(ran.status).toBe(200);
    afterCron = await publishedKids();
    const next = afterCron.filter((kid) => !before.includes(kid));
    expect(next).toHaveLength(1);
    expect(afterCron).toEqual(expect.arrayContaining(before));

    // The same session, the same signing key until the next one's time: every origin verifies it.
    expect(await askEachVerifier("/whoami")).toEqual(allVerified);
    expect(signingKid()).toBe(signing);
  }, 60_000);

  it("changes nothing on a second cron run: the next key is already waiting", async () => {
    expect((await fetch(`${stack.workerUrl}/__scheduled`)).status).toBe(200);
    expect((await publishedKids()).sort()).toEqual([...afterCron].sort());
  });
});

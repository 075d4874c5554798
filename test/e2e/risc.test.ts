import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectFor } from "../../demo/provider.mjs";
import { RISC_EVENT } from "../../demo/risc-transmitter.mjs";
import { main } from "../../scripts/google.mjs";
import { Browser } from "../support/http-client";
import { runCommand } from "../support/run-command";
import { startStack, type Stack } from "../support/stack";

/**
 * Google's Cross-Account Protection over real HTTP: the local provider serves a RISC transmitter
 * (configuration, keys, stream API) and pushes Security Event Tokens to POST /auth/risc.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ risc: true });
});
afterAll(() => stack?.close());

const receiver = () => `${stack.workerUrl}/auth/risc`;
const transmitter = () => stack.risc!.transmitter;

async function signedInAs(email: string): Promise<Browser> {
  const browser = new Browser();
  expect((await browser.signIn(`${stack.workerUrl}/`, email)).response.status).toBe(200);
  return browser;
}

const refreshStatus = async (browser: Browser) =>
  (await browser.request(`${stack.workerUrl}/auth/refresh`, { method: "POST" })).status;

describe("POST /auth/risc", () => {
  it("an account-disabled event revokes every session of its subject, and nobody else's", async () => {
    const [laptop, phone, bystander] = [
      await signedInAs("victim@corp.test"),
      await signedInAs("victim@corp.test"),
      await signedInAs("bystander@corp.test"),
    ];
    const set = await transmitter().sign(
      transmitter().accountEvent("account-disabled", subjectFor("victim@corp.test"), { reason: "hijacking" }),
    );
    const pushed = await transmitter().push(receiver(), set);
    expect(pushed).toEqual({ status: 202, body: "" });
    expect(await refreshStatus(laptop)).toBe(401);
    expect(await refreshStatus(phone)).toBe(401);
    expect(await refreshStatus(bystander)).toBe(204);
    // The person can sign in again (the provider would refuse a disabled account; this one is re-enabled).
    expect(await refreshStatus(await signedInAs("victim@corp.test"))).toBe(204);
  });

  it.each(["sessions-revoked", "account-purged", "account-credential-change-required"])(
    "%s revokes the subject's sessions too",
    async (name) => {
      const email = `${name}@corp.test`;
      const browser = await signedInAs(email);
      expect(
        (
          await transmitter().push(
            receiver(),
            await transmitter().sign(transmitter().accountEvent(name, subjectFor(email))),
          )
        ).status,
      ).toBe(202);
      expect(await refreshStatus(browser)).toBe(401);
    },
  );

  it("refuses a replayed event: the same jti is accepted once", async () => {
    const set = await transmitter().sign(
      transmitter().accountEvent("sessions-revoked", subjectFor("replayed@corp.test")),
    );
    expect((await transmitter().push(receiver(), set)).status).toBe(202);
    // Signed in after the event: a replay must not end this session.
    const later = await signedInAs("replayed@corp.test");
    const replay = await transmitter().push(receiver(), set);
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body)).toEqual({
      err: "invalid_request",
      description: expect.stringContaining("already received"),
    });
    expect(await refreshStatus(later)).toBe(204);
  });

  it("refuses a forged event (another key, or no signature), a wrong audience and a wrong issuer, and revokes nothing", async () => {
    const browser = await signedInAs("target@corp.test");
    const events = transmitter().accountEvent("account-disabled", subjectFor("target@corp.test"));
    const { privateKey: otherKey } = await generateKeyPair("RS256");
    const forged = await transmitter().sign(events, { key: otherKey });
    const [header, payload] = forged.split(".");
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "secevent+jwt" })).toString("base64url")}.${payload}.`;
    const cases: [string, string][] = [
      [forged, "invalid_key"],
      [`${header}.${payload}.${"A".repeat(342)}`, "invalid_key"],
      [await transmitter().sign(events, { aud: "another-client" }), "invalid_audience"],
      [await transmitter().sign(events, { iss: "https://evil.example/" }), "invalid_issuer"],
    ];
    for (const [set, err] of cases) {
      const refused = await transmitter().push(receiver(), set);
      expect([refused.status, JSON.parse(refused.body).err], err).toEqual([400, err]);
    }
    expect((await transmitter().push(receiver(), unsigned)).status).toBe(400);
    expect((await transmitter().push(receiver(), await transmitter().sign(events), "application/json")).status).toBe(
      400,
    );
    expect(await refreshStatus(browser)).toBe(204);
  });

  it("accepts a verification event and changes nothing", async () => {
    const browser = await signedInAs("verified@corp.test");
    const set = await transmitter().sign({ [RISC_EVENT("verification")]: { state: "hello" } });
    expect((await transmitter().push(receiver(), set)).status).toBe(202);
    expect(await refreshStatus(browser)).toBe(204);
  });
});

describe("npm run google -- risc", () => {
  const credentialsFile = () => {
    const key = join(mkdtempSync(join(tmpdir(), "google-cli-")), "key.json");
    writeFileSync(key, stack.risc!.serviceAccount.credentials);
    return key;
  };
  /** The command in this process (test/support/run-command.ts): the fake transmitter answers from here too. */
  const run = (...args: string[]) => runCommand(main, ["risc", ...args, "--credentials", credentialsFile()]);
  /** The same as a process of its own, `node scripts/google.mjs`: its entry point and its exit status. */
  const runProcess = (...args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(
        "node",
        ["scripts/google.mjs", "risc", ...args, "--credentials", credentialsFile()],
        { encoding: "utf8" },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, output: stdout + stderr }),
      );
    });

  it("registers the receiver with the transmitter, and a verification request comes back to it as a SET the worker accepts", async () => {
    const registered = await run("register", "--url", receiver(), "--issuer", stack.providerUrl);
    expect(registered.code).toBe(0);
    expect(registered.output).toContain(`POST ${stack.providerUrl}/risc/v1beta/stream:update`);
    expect(registered.output).toContain("-> HTTP 200");
    expect(registered.output).not.toMatch(/Bearer ey/);
    expect(transmitter().stream.receiver).toBe(receiver());
    expect(transmitter().stream.eventsRequested).toContain(RISC_EVENT("account-disabled"));

    const verified = await run("verify", "--state", "cli-check", "--issuer", stack.providerUrl);
    expect(verified.code).toBe(0);
    expect(verified.output).toContain('"delivered":202');
  });

  it("with --dry-run prints Google's request and sends nothing", async () => {
    const before = transmitter().stream.pushes.length;
    const { code, output } = await run("register", "--url", "https://app.example.com/auth/risc", "--dry-run");
    expect(code).toBe(0);
    expect(output).toContain("POST https://risc.googleapis.com/v1beta/stream:update");
    expect(output).toContain('"url": "https://app.example.com/auth/risc"');
    expect(output).toContain("dry run: nothing sent");
    expect(transmitter().stream.pushes.length).toBe(before);
  });

  it("refuses a receiver that is not https", async () => {
    expect(await run("register", "--url", "http://app.example.com/auth/risc", "--dry-run")).toMatchObject({
      code: 2,
      output: expect.stringContaining("must be https"),
    });
  });

  it("as a process of its own, exits with the status its failure calls for", async () => {
    const { code, output } = await runProcess("register", "--url", "http://app.example.com/auth/risc", "--dry-run");
    expect(code).toBe(2);
    expect(output).toContain("must be https");
  });
});

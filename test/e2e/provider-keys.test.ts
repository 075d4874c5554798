import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInOutcome } from "../support/sign-in-outcome";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
let flood = 0;
beforeAll(async () => {
  stack = await startStack({
    // A cold worker: the first sign-in is its first fetch of the provider's keys.
    ownWorker: true,
    // ID tokens for "unknown-kid" accounts are signed by a key the provider never published,
    // each time under a new kid: what an attacker (or a broken provider) would send.
    idTokenHook: (claims) =>
      String(claims.email).startsWith("unknown-kid")
        ? { claims, sign: "wrong-key", header: { kid: `never-published-${++flood}` } }
        : undefined,
  });
});
afterAll(() => stack?.close());

describe("the provider's signing keys", () => {
  it("are fetched once, and a flood of unknown kids does not refetch them on every sign-in", async () => {
    expect((await signInOutcome(stack, "first@example.com")).status).toBe(302);
    expect(stack.providerHits.get("/jwks")).toBe(1);
    for (let i = 0; i < 6; i++) expect((await signInOutcome(stack, `unknown-kid-${i}@example.com`)).status).toBe(400);
    // jose refetches on an unknown kid at most once per 30 s cooldown.
    expect(stack.providerHits.get("/jwks")).toBeLessThanOrEqual(2);
    expect((await signInOutcome(stack, "second@example.com")).status).toBe(302);
  });
});

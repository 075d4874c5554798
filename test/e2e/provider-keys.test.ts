import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInOutcome } from "../support/sign-in-outcome";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
let flood = 0;
beforeAll(async () => {
  stack = await startStack({
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
  it("are fetched at most once per sign-in flood: unknown kids do not refetch them on every sign-in", async () => {
    const fetches = () => stack.providerHits.get("/jwks") ?? 0;
    expect((await signInOutcome(stack, "first@example.com")).status).toBe(302);
    // A worker other files signed in at holds the keys already; a cold one fetches them now, once.
    const atFirstSignIn = fetches();
    expect(atFirstSignIn).toBeLessThanOrEqual(1);
    for (let i = 0; i < 6; i++) expect((await signInOutcome(stack, `unknown-kid-${i}@example.com`)).status).toBe(400);
    // jose refetches on an unknown kid at most once per 30 s cooldown.
    expect(fetches()).toBeLessThanOrEqual(atFirstSignIn + 1);
    expect((await signInOutcome(stack, "second@example.com")).status).toBe(302);
    expect(fetches()).toBeLessThanOrEqual(atFirstSignIn + 1);
  });
});

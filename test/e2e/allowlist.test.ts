import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInOutcome } from "../support/sign-in-outcome";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    vars: { ALLOWED_DOMAINS: "allowed.test", ALLOWED_EMAILS: "Listed@gmail.com" },
    // The local provider derives `hd` from the e-mail's domain, like a Workspace account;
    // these accounts make it lie or stay silent instead.
    idTokenHook: (claims) => {
      if (claims.email === "liar@allowed.test") return { ...claims, hd: "other.test" };
      if (claims.email === "nohd@allowed.test") {
        const { hd: _hd, ...rest } = claims;
        return rest;
      }
      if (claims.email === "consumer@other.test") return { ...claims, hd: undefined };
      return undefined;
    },
  });
});
afterAll(() => stack?.close());

describe("allowlists", () => {
  it.each(["someone@allowed.test", "listed@gmail.com"])("lets %s in", async (email) => {
    expect((await signInOutcome(stack, email)).status).toBe(302);
  });

  it.each([
    "other@gmail.com",
    "user@other.test",
    "user@evil-allowed.test",
    "user@allowed.test.evil.example",
    "liar@allowed.test",
    "nohd@allowed.test",
  ])("refuses %s with 403", async (email) => {
    expect((await signInOutcome(stack, email)).status).toBe(403);
  });
});

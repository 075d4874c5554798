import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInOutcome } from "../support/sign-in-outcome";
import { startStack, type Stack } from "../support/stack";

/**
 * The e-mail and `sub` become origin headers (X-Auth-User-Email, X-Auth-User-Sub), so a
 * provider other than Google that sends control characters, spaces or non-ASCII in them (a
 * compromised or sloppy IdP, a self-service username) is refused at the callback, with no session
 * and nothing sent to the origin. The e-mail's local part picks the tampering.
 */
type Claims = Record<string, unknown>;

const BAD_EMAIL: Record<string, (claims: Claims) => Claims> = {
  "email-crlf": (c) => ({ ...c, email: "ada\r\nX-Auth-User-Sub: 1@example.com" }),
  "email-lf": (c) => ({ ...c, email: "ada@example.com\nX-Injected: 1" }),
  "email-cr": (c) => ({ ...c, email: "ada\r@example.com" }),
  "email-nul": (c) => ({ ...c, email: "ada\u0000@example.com" }),
  "email-del": (c) => ({ ...c, email: "ada@example.com\u007f" }),
  "email-tab": (c) => ({ ...c, email: "ada@exa\tmple.com" }),
  "email-space": (c) => ({ ...c, email: "ada lovelace@example.com" }),
  "email-c1": (c) => ({ ...c, email: "ada\u0085@example.com" }),
  "email-latin1": (c) => ({ ...c, email: "adé@example.com" }),
  "email-greek": (c) => ({ ...c, email: "adα@example.com" }),
  "email-idn": (c) => ({ ...c, email: "ada@exämple.com" }),
  "email-not-string": (c) => ({ ...c, email: ["ada@example.com"] }),
};

const BAD_SUB: Record<string, (claims: Claims) => Claims> = {
  "sub-crlf": (c) => ({ ...c, sub: "1001\r\nX-Auth-User-Email: root@example.com" }),
  "sub-lf": (c) => ({ ...c, sub: "1001\n" }),
  "sub-nul": (c) => ({ ...c, sub: "1001\u0000" }),
  "sub-del": (c) => ({ ...c, sub: "\u007f1001" }),
  "sub-tab": (c) => ({ ...c, sub: "10\t01" }),
  "sub-space": (c) => ({ ...c, sub: "ada lovelace" }),
  "sub-non-ascii": (c) => ({ ...c, sub: "adå" }),
  "sub-empty": (c) => ({ ...c, sub: "" }),
  "sub-too-long": (c) => ({ ...c, sub: "x".repeat(256) }),
  "sub-number": (c) => ({ ...c, sub: 1001 }),
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    idTokenHook: (claims) => {
      const local = String(claims.email ?? "").split("@")[0]!;
      return (BAD_EMAIL[local] ?? BAD_SUB[local])?.(claims);
    },
  });
});
afterAll(() => stack?.close());

describe("identity claims with characters a header cannot carry", () => {
  it("signs in an account whose sub and e-mail are printable (the control case)", async () => {
    expect((await signInOutcome(stack, "plain@example.com")).status).toBe(302);
  });

  it.each(Object.keys(BAD_EMAIL))("refuses %s with 403 (no usable e-mail), no session", async (local) => {
    expect((await signInOutcome(stack, `${local}@example.com`)).status).toBe(403);
  });

  it.each(Object.keys(BAD_SUB))("refuses %s with 400 (invalid ID token), no session", async (local) => {
    expect((await signInOutcome(stack, `${local}@example.com`)).status).toBe(400);
  });

  it("keeps the refused e-mail's page free of the raw value", async () => {
    const { body } = await signInOutcome(stack, "email-crlf@example.com");
    expect(body).not.toMatch(/[\r\u0000]|X-Auth-User-Sub: 1/);
  });

  it("never put a tampered value in a header the origin received", () => {
    for (const request of stack.originRequests) {
      for (const value of Object.values(request.headers))
        expect(value).not.toMatch(/[^\x20-\x7e]|X-Injected|root@example/);
    }
  });
});

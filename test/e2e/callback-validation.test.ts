import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../support/http-client";
import { signInOutcome } from "../support/sign-in-outcome";
import { startStack, type Stack } from "../support/stack";

type Claims = Record<string, unknown>;
const now = () => Math.floor(Date.now() / 1000);

/** How the misbehaving provider changes the ID token, keyed by the e-mail's local part. */
const TAMPER: Record<string, (claims: Claims) => object> = {
  "wrong-iss": (c) => ({ ...c, iss: "https://evil.example" }),
  "wrong-aud": (c) => ({ ...c, aud: "someone-else" }),
  "extra-aud": (c) => ({ ...c, aud: [c.aud, "someone-else"], azp: c.aud }),
  "wrong-azp": (c) => ({ ...c, azp: "someone-else" }),
  "no-sub": ({ sub: _sub, ...c }) => c,
  "wrong-nonce": (c) => ({ ...c, nonce: "not-the-nonce" }),
  "no-nonce": ({ nonce: _nonce, ...c }) => c,
  expired: (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 }),
  "future-iat": (c) => ({ ...c, iat: now() + 3600, exp: now() + 7200 }),
  "bad-signature": (c) => ({ claims: c, sign: "bad-signature" }),
  "wrong-key": (c) => ({ claims: c, sign: "wrong-key" }),
  "alg-none": (c) => ({ claims: c, sign: "none" }),
  "hs256-client-secret": (c) => ({ claims: c, sign: "hs256", secret: stack.clientSecret }),
  unverified: (c) => ({ ...c, email_verified: false }),
  "unverified-string": (c) => ({ ...c, email_verified: "false" }),
  "verified-string": (c) => ({ ...c, email_verified: "true" }),
  "no-verified": ({ email_verified: _verified, ...c }) => c,
  "two-at": (c) => ({ ...c, email: "two@at@example.com" }),
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    idTokenHook: (claims) => {
      const local = String(claims.email ?? "").split("@")[0]!;
      return TAMPER[local]?.(claims);
    },
  });
});
afterAll(() => stack?.close());

describe("the callback validates every ID-token step (a provider made to misbehave)", () => {
  it("accepts an untampered ID token (the control case)", async () => {
    expect((await signInOutcome(stack, "honest@example.com")).status).toBe(302);
  });

  it.each([
    "wrong-iss",
    "wrong-aud",
    "extra-aud",
    "wrong-azp",
    "no-sub",
    "wrong-nonce",
    "no-nonce",
    "expired",
    "future-iat",
    "bad-signature",
    "wrong-key",
    "alg-none",
    "hs256-client-secret",
  ])("refuses %s with 400 and no session", async (local) => {
    expect((await signInOutcome(stack, `${local}@example.com`)).status).toBe(400);
  });

  it.each(["unverified", "unverified-string", "verified-string", "no-verified", "two-at"])(
    "refuses %s e-mail with 403 and no session",
    async (local) => {
      expect((await signInOutcome(stack, `${local}@example.com`)).status).toBe(403);
    },
  );

  it("refuses a replayed authorization code", async () => {
    const browser = new Browser();
    const first = await browser.navigate(`${stack.workerUrl}/`);
    const loginCookie = browser.jar.header(stack.workerUrl);
    const post = await browser.request(first.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=replay%40example.com",
    });
    const back = await browser.navigate(new URL(post.headers.get("location")!, first.url).href);
    const callback = back.hops.find((hop) => hop.url.includes("/auth/callback"))!;
    expect(callback.status).toBe(302);
    const replay = await fetch(callback.url, { redirect: "manual", headers: { cookie: loginCookie } });
    expect(replay.status).toBe(400);
    expect(replay.headers.getSetCookie().filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie))).toEqual([]);
  });

  it("refuses a callback whose state is not this browser's, and the provider's error response", async () => {
    const browser = new Browser();
    await browser.navigate(`${stack.workerUrl}/`);
    const cookie = browser.jar.header(stack.workerUrl);
    const wrongState = await fetch(`${stack.workerUrl}/auth/callback?code=abc&state=${"x".repeat(43)}`, {
      redirect: "manual",
      headers: { cookie },
    });
    expect(wrongState.status).toBe(400);
    const state = cookie.match(/__Host-login-([^=]+)=/)![1]!;
    const denied = await fetch(
      `${stack.workerUrl}/auth/callback?error=access_denied&error_description=%3Cscript%3E&state=${state}`,
      { redirect: "manual", headers: { cookie } },
    );
    expect(denied.status).toBe(400);
    expect(await denied.text()).not.toContain("<script>");
  });
});

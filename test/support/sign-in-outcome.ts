import { expect } from "vitest";
import { Browser } from "./http-client";
import type { Stack } from "./stack";

/**
 * Signs `email` in through the provider and returns the callback's status, after checking
 * the invariants every refusal must keep: no session cookie set and nothing sent to the origin.
 */
export async function signInOutcome(stack: Stack, email: string): Promise<{ status: number; body: string }> {
  const browser = new Browser();
  const originBefore = stack.originRequests.length;
  const { hops, response } = await browser.signIn(`${stack.workerUrl}/protected`, email);
  const callback = hops.find((hop) => hop.url.startsWith(`${stack.workerUrl}/auth/callback`));
  expect(callback, "the provider never redirected back to the callback").toBeDefined();
  const body = await response.text().catch(() => "");
  if (callback!.status >= 400) {
    expect(callback!.setCookies.filter((cookie: string) => /^__Host-(access|refresh)=[^;]/.test(cookie))).toEqual([]);
    expect(browser.jar.get(stack.workerUrl, "__Host-access")).toBeUndefined();
    expect(stack.originRequests.length).toBe(originBefore);
    expect(body).not.toMatch(/eyJ|code=|state=|at \w+ \(/);
  }
  return { status: callback!.status, body };
}

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  // The worker's own log lines reach Node only at wrangler's "log" level.
  stack = await startStack({ logLevel: "log" });
});
afterAll(() => stack?.close());

describe("structured logs of a full flow", () => {
  it("logs one JSON line per decision, with a request id, and never a token, code or secret", async () => {
    // wrangler hands the worker's console output to Node's console (or straight to stdout).
    const lines: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
    );
    const write = process.stdout.write;
    process.stdout.write = (chunk: unknown) => lines.push(String(chunk)) > 0;
    const secrets: string[] = [];
    try {
      const browser = new Browser();
      const { hops } = await browser.signIn(`${stack.workerUrl}/logged`, "logs@example.com");
      const callbackUrl = new URL(hops.find((hop) => hop.url.includes("/auth/callback"))!.url);
      secrets.push(callbackUrl.searchParams.get("code")!, callbackUrl.searchParams.get("state")!);
      secrets.push(
        browser.jar.get(stack.workerUrl, "__Host-access")!,
        browser.jar.get(stack.workerUrl, "__Host-refresh")!,
      );
      browser.jar.delete(stack.workerUrl, "__Host-access");
      await browser.request(`${stack.workerUrl}/api/whoami`);
      secrets.push(
        browser.jar.get(stack.workerUrl, "__Host-access")!,
        browser.jar.get(stack.workerUrl, "__Host-refresh")!,
      );
      await browser.request(`${stack.workerUrl}/auth/logout`, { method: "POST", headers: { origin: stack.workerUrl } });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.stdout.write = write;
      for (const spy of spies) spy.mockRestore();
    }
    const text = lines.join("");
    const events = [...text.matchAll(/\{"level":"\w+","event":"(\w+)","requestId":"[^"]+"/g)].map((match) => match[1]);
    expect(events).toEqual(expect.arrayContaining(["sign_in", "session_refreshed", "logout"]));
    for (const secret of [...secrets, ...stack.sessionKeys.keys.map((key) => (key as { d?: string }).d!)]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(text).not.toContain(secret);
    }
  });
});

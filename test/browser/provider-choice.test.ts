/**
 * Choosing a provider in Chromium (docs/providers.md): two real local providers, the worker's page
 * listing both, used with the keyboard, and a sign-in at each ending on the page first asked for.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack";
import {
  describeInBrowser,
  expectReadablePage,
  openBrowser,
  newContext,
  screenshot,
  signInAtProvider,
  tabThrough,
  watchCspViolations,
  type FileBrowser,
} from "./support";

describeInBrowser("choosing a provider in Chromium", () => {
  let stack: Stack;
  let browser: FileBrowser;
  /** The worker as the browser sees it: localhost, so its cookies and the providers' (127.0.0.1) stay apart. */
  let site: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ secondProvider: {}, publicOnLocalhost: true }), openBrowser()]);
    site = stack.publicUrl!;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function choicePage(path: string): Promise<{ page: Page; violations: string[] }> {
    const page = await (await newContext(browser)).newPage();
    const violations = watchCspViolations(page);
    await page.goto(`${site}${path}`);
    expect(await page.title()).toBe("Sign in");
    return { page, violations };
  }

  it("lists each provider by its label, readable, one Tab stop each with visible focus", async () => {
    const { page, violations } = await choicePage("/reports?q=1");
    expect(page.url()).toBe(`${site}/auth/login?return_to=%2Freports%3Fq%3D1`);
    const links = page.getByRole("link");
    expect(await links.allInnerTexts()).toEqual(["Sign in with Corp accounts", "Sign in with Partner accounts"]);
    await expectReadablePage(page);
    expect(await tabThrough(page)).toEqual([
      { element: "a Sign in with Corp accounts", visible: true },
      { element: "a Sign in with Partner accounts", visible: true },
    ]);
    await screenshot(page, "worker-choose-provider");
    expect(violations).toEqual([]);
  });

  it("signs in at the provider chosen with the keyboard, and ends on the page first asked for", async () => {
    for (const [tabs, provider, issuer] of [
      [1, "corp", () => stack.providerUrl],
      [2, "partner", () => stack.partner!.url],
    ] as const) {
      const { page } = await choicePage("/reports?q=1");
      for (let i = 0; i < tabs; i++) await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForURL((url) => url.href.startsWith(`${issuer()}/`));
      await signInAtProvider(page, "same@example.com");
      await page.waitForURL(`${site}/reports?q=1`);
      const seen = stack.originRequests.at(-1)!;
      expect(seen.url).toBe("/reports?q=1");
      expect(seen.headers["x-auth-user-provider"]).toBe(provider);
      expect(await page.content()).toContain("same@example.com");
    }
  });
});

/**
 * Switching accounts in Chromium, as with Google: a person signed in with an account that may not
 * see a page asks for "another account" on the worker's 403 page, picks one in the provider's
 * account chooser (`prompt=select_account`), and lands on the page they wanted.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeInBrowser,
  expectReadablePage,
  openBrowser,
  newContext,
  screenshot,
  signInAtProvider,
  startBrowserStack,
  type BrowserStack,
  type FileBrowser,
} from "./support";

/** /eng/ is for ada and kai only; anyone with a verified e-mail may use the rest. */
const POLICY = [{ path: "/eng/*", allow: { emails: ["ada@example.com", "kai@example.com"] } }];

describeInBrowser("switching accounts in Chromium", () => {
  let stack: BrowserStack;
  let browser: FileBrowser;

  beforeAll(async () => {
    const options = {
      vars: { ACCESS_POLICY: JSON.stringify(POLICY) },
      providerAccounts: ["ada@example.com", "grace@example.org"],
    };
    [stack, browser] = await Promise.all([startBrowserStack(options), openBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A fresh profile signed in as lin, who may not see /eng/: the worker's 403 page. */
  async function deniedAsLin(path: string): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${stack.workerUrl}${path}`);
    await signInAtProvider(page, "lin@example.com");
    await page.waitForURL(`${stack.workerUrl}${path}`);
    expect(await page.title()).toBe("Access denied");
    expect(await page.locator(".account").innerText()).toBe("You are signed in as lin@example.com.");
    return page;
  }

  it("picks another account in the provider's chooser and ends on the page first asked for", async () => {
    const page = await deniedAsLin("/eng/plans?q=1");
    await page.getByRole("link", { name: "Sign in with another account" }).click();

    await page.waitForURL((url) => url.href.startsWith(`${stack.providerUrl}/interaction/`));
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Choose an account");
    // The demo accounts and the one this browser is signed in with at the provider.
    const accounts = await page.getByRole("button").allInnerTexts();
    for (const email of ["ada@example.com", "grace@example.org", "lin@example.com"])
      expect(accounts.join("\n")).toContain(email);
    await expectReadablePage(page);
    await screenshot(page, "provider-choose-account");

    await page.getByRole("button", { name: /ada@example\.com/ }).click();
    await page.waitForURL(`${stack.workerUrl}/eng/plans?q=1`);
    expect(await page.locator("#email").textContent()).toBe("ada@example.com");
    expect(stack.originRequests.at(-1)!.url).toBe("/eng/plans?q=1");
  });

  it("uses an account the chooser does not list: 'Use another account' asks for its address", async () => {
    const page = await deniedAsLin("/eng/");
    await page.getByRole("link", { name: "Sign in with another account" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${stack.providerUrl}/interaction/`));
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Choose an account");
    await page.getByRole("link", { name: "Use another account" }).click();
    await signInAtProvider(page, "kai@example.com");
    await page.waitForURL(`${stack.workerUrl}/eng/`);
    expect(await page.locator("#email").textContent()).toBe("kai@example.com");
  });

  it("leaves the provider's session from the worker's signed-out page: the next sign-in asks for an account again", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${stack.workerUrl}/home`);
    await signInAtProvider(page, "grace@example.org");
    await page.waitForURL(`${stack.workerUrl}/home`);
    await page.goto(`${stack.workerUrl}/auth/logout`);
    await page.getByRole("button", { name: "Sign out" }).click();
    // The 303 leads to this same address, which now says you are signed out.
    await page.waitForFunction(() => document.title === "You are signed out");
    // How it goes with Google, which keeps the browser signed in to the Google account.
    expect(await page.locator("main").innerText()).toContain("Google");
    expect(await page.getByRole("link", { name: "Sign in with another account" }).getAttribute("href")).toBe(
      "/auth/login?prompt=select_account",
    );

    // The local provider advertises an end_session_endpoint (Google does not): a way out of it.
    await page.getByRole("link", { name: "Sign out of the sign-in provider" }).click();
    expect(page.url().startsWith(`${stack.providerUrl}/`)).toBe(true);
    await expectReadablePage(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { level: 1, name: "Signed out", exact: true }).waitFor();
    await page.getByRole("link", { name: `Back to ${new URL(stack.workerUrl).host}` }).click();
    // Not signed straight back in as grace: the provider asks who is signing in.
    await page.waitForURL((url) => url.href.startsWith(`${stack.providerUrl}/interaction/`));
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
  });
});

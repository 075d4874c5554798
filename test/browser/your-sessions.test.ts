/**
 * Seeing and ending your own sessions in Chromium (docs/what-people-see.md, "Your sessions"): two browser
 * profiles signed in as the same person; one lists both and ends the other's; with
 * REVOCATION_CHECK=true the other is signed out at its very next request.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  describeInBrowser,
  expectReadablePage,
  openBrowser,
  newContext,
  screenshot,
  sessionCookies,
  signInAtProvider,
  startBrowserStack,
  watchCspViolations,
  type BrowserStack,
  type FileBrowser,
} from "./support";

describeInBrowser("your sessions in Chromium", () => {
  let stack: BrowserStack;
  let browser: FileBrowser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack({ vars: { REVOCATION_CHECK: "true" } }), openBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A fresh browser profile, signed in as `email` on the demo origin's page. */
  async function signedIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${stack.workerUrl}/`);
    await signInAtProvider(page, email);
    await page.waitForURL(`${stack.workerUrl}/`);
    expect(await page.locator("#email").textContent()).toBe(email);
    return { context, page };
  }

  it("one browser sees both sessions and ends the other's; the other is signed out at its next request", async () => {
    const email = "grace@example.com";
    const laptop = await signedIn(email);
    const phone = await signedIn(email);
    const csp = watchCspViolations(laptop.page);

    // From the demo origin's page, as a person finds it.
    await laptop.page.getByRole("link", { name: "Your sessions" }).click();
    await laptop.page.waitForURL(`${stack.workerUrl}/auth/sessions`);
    expect(await laptop.page.title()).toBe("Your sessions");
    const sessions = laptop.page.locator("main .account:has(form)");
    expect(await sessions.count()).toBe(2);
    expect(await laptop.page.locator("main").innerText()).toContain("You are signed in on 2 browsers or devices.");
    await expectReadablePage(laptop.page);
    await screenshot(laptop.page, "worker-your-sessions");

    const other = sessions.filter({ hasNotText: "(this browser)" });
    expect(await other.count()).toBe(1);
    const posted = laptop.page.waitForResponse(
      (r) => r.url() === `${stack.workerUrl}/auth/sessions/revoke` && r.request().method() === "POST",
    );
    await other.getByRole("button", { name: "End this session" }).click();
    expect((await posted).status()).toBe(303);
    await laptop.page.waitForURL(`${stack.workerUrl}/auth/sessions?ended=1`);
    expect(await sessions.count()).toBe(1);
    // It says so, and when the other browser is actually signed out (REVOCATION_CHECK here).
    expect(await laptop.page.locator("main .lead").innerText()).toBe(
      "Session ended. That browser is signed out at its next request (within a minute or two if another Cloudflare location serves it).",
    );
    await expectReadablePage(laptop.page);
    expect(await sessions.innerText()).toContain("(this browser)");
    expect(csp).toEqual([]);

    // The other browser's very next request: its access token is still unexpired, but the
    // revocation check refuses it, the refresh token is refused too, and it is sent to sign in.
    const next = await phone.page.request.get(`${stack.workerUrl}/api/whoami`, {
      headers: { accept: "application/json" },
      maxRedirects: 0,
    });
    expect(next.status()).toBe(401);
    expect((await sessionCookies(phone.context, stack.workerUrl)).refresh).toBeUndefined();
    // The laptop is still signed in.
    await laptop.page.goto(`${stack.workerUrl}/`);
    expect(await laptop.page.locator("#email").textContent()).toBe(email);
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });

  it("ending this browser's own session signs it out, to the signed-out page", async () => {
    const { context, page } = await signedIn("linus@example.com");
    await page.goto(`${stack.workerUrl}/auth/sessions`);
    await page.getByRole("button", { name: "Sign out here" }).click();
    await page.waitForURL(`${stack.workerUrl}/auth/logout`);
    expect(await page.title()).toBe("You are signed out");
    expect((await sessionCookies(context, stack.workerUrl)).refresh).toBeUndefined();
    await context.close();
  });
});

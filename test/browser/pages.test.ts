/**
 * The worker's own pages as people see them in Chromium: access denied, sign-in failed,
 * sign out / signed out, a service down. Each is checked for what it says, its links, the
 * strict CSP (nothing blocked, the stylesheet applied), contrast, keyboard focus, and
 * screenshotted for docs/what-people-see.md, "The pages people see".
 */
import { createHash } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { PAGE_CSS, PAGE_CSS_HASH } from "../../src/http/page-shell";
import {
  describeInBrowser,
  expectReadablePage,
  openBrowser,
  newContext,
  screenshot,
  sessionCookies,
  signInAtProvider,
  startBrowserStack,
  tabThrough,
  watchCspViolations,
  type BrowserStack,
  type FileBrowser,
} from "./support";

it("allows the pages' stylesheet in the CSP by its exact hash", () => {
  const hash = `sha256-${createHash("sha256").update(PAGE_CSS).digest("base64")}`;
  expect(
    PAGE_CSS_HASH,
    "src/http/page-shell.ts: PAGE_CSS changed, so PAGE_CSS_HASH must be updated to this value",
  ).toBe(hash);
});

describeInBrowser("the worker's pages in Chromium", () => {
  /**
   * Only ada@example.com may sign in: everyone else gets the access-denied page. The tests of a
   * service down stop its origin or its provider, and start it again when they end.
   */
  let allowlisted: BrowserStack;
  let browser: FileBrowser;

  beforeAll(async () => {
    [allowlisted, browser] = await Promise.all([
      startBrowserStack({ vars: { ALLOWED_EMAILS: "ada@example.com", ALLOWED_DOMAINS: "" } }),
      openBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await allowlisted?.close();
  });

  async function freshPage(): Promise<{ page: Page; csp: string[] }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    return { page, csp: watchCspViolations(page) };
  }

  /** The page's response headers: the strict CSP, no caching, nothing reflected. */
  function expectPageHeaders(headers: Record<string, string>) {
    expect(headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    const csp = headers["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src '${PAGE_CSS_HASH}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
  }

  it("access denied (403): names the signed-in account, says it is not allowed, offers another account; no session", async () => {
    const { page, csp } = await freshPage();
    await page.goto(`${allowlisted.workerUrl}/dashboard`);
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === "/auth/callback");
    await signInAtProvider(page, "mallory@example.net");
    const response = await callback;
    expect(response.status()).toBe(403);
    expectPageHeaders(response.headers());

    expect(await page.title()).toBe("Access denied");
    expect(await page.locator(".account").innerText()).toBe("You are signed in as mallory@example.net.");
    expect(await page.locator("main").innerText()).toContain("This account is not allowed to use this site.");
    const another = page.getByRole("link", { name: "Sign in with another account" });
    expect(await another.getAttribute("href")).toBe("/auth/login?prompt=select_account");
    await expectReadablePage(page);
    await screenshot(page, "worker-access-denied");

    expect(await tabThrough(page)).toEqual([{ element: "a Sign in with another account", visible: true }]);
    const { access, refresh } = await sessionCookies(page.context(), allowlisted.workerUrl);
    expect(access).toBeUndefined();
    expect(refresh).toBeUndefined();
    expect(await response.text()).not.toMatch(/code=|state=|eyJ/);
    expect(csp).toEqual([]);
  });

  it("access denied: the e-mail is shown as text, never as markup", async () => {
    const { page } = await freshPage();
    await page.goto(`${allowlisted.workerUrl}/dashboard`);
    const email = `<i>mallory</i>&"'@example.net`;
    // The browser's own check of type=email would refuse this address; the provider does not.
    await page.locator("form").evaluate((form: HTMLFormElement) => (form.noValidate = true));
    const callback = page.waitForResponse((response) => new URL(response.url()).pathname === "/auth/callback");
    await signInAtProvider(page, email);
    const response = await callback;
    expect(response.status()).toBe(403);
    expect(await page.locator(".account strong").textContent()).toBe(email);
    expect(await page.locator("main i").count()).toBe(0);
    expect(await response.text()).toContain("&#60;i&#62;mallory&#60;/i&#62;&#38;&#34;&#39;@example.net");
  });

  it("sign-in failed or expired (400): reopening a used callback URL explains what happened, and Start again signs in afresh", async () => {
    const { page, csp } = await freshPage();
    let callbackUrl = "";
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/auth/callback") callbackUrl = request.url();
    });
    await page.goto(`${allowlisted.workerUrl}/start`);
    await signInAtProvider(page, "ada@example.com");
    await page.waitForURL(`${allowlisted.workerUrl}/start`);

    // Like Back into the sign-in, or an old tab: this code and its login cookie are spent.
    const response = await page.goto(callbackUrl);
    expect(response!.status()).toBe(400);
    expectPageHeaders(response!.headers());
    expect(await page.title()).toBe("Sign-in failed or expired");
    const text = await page.locator("main").innerText();
    expect(text).toContain("This sign-in did not complete, or it had expired.");
    const code = new URL(callbackUrl).searchParams.get("code")!;
    expect(await response!.text()).not.toContain(code);
    await expectReadablePage(page);
    await screenshot(page, "worker-sign-in-failed");
    expect(await tabThrough(page)).toEqual([
      { element: "a Start again", visible: true },
      { element: "a Go to the home page", visible: true },
    ]);

    // Start again: a new sign-in; the provider still knows this browser, so it comes straight back.
    await page.getByRole("link", { name: "Start again" }).click();
    await page.waitForURL(`${allowlisted.workerUrl}/`);
    expect(await page.locator("#email").textContent()).toBe("ada@example.com");
    expect(csp).toEqual([]);
  });

  it("sign out (GET /auth/logout) asks first; the button works from the keyboard; afterwards the same address says you are signed out", async () => {
    const { page, csp } = await freshPage();
    await page.goto(`${allowlisted.workerUrl}/start`);
    await signInAtProvider(page, "ada@example.com");
    await page.waitForURL(`${allowlisted.workerUrl}/start`);

    const response = await page.goto(`${allowlisted.workerUrl}/auth/logout`);
    expect(response!.status()).toBe(200);
    const headers = response!.headers();
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["content-security-policy"]).toContain(`style-src '${PAGE_CSS_HASH}'`);
    // The form may post only to the worker (see FORM_PAGE_CSP), and a referrer policy keeps the form's Origin.
    expect(headers["content-security-policy"]).toContain("form-action 'self'");
    expect(headers["referrer-policy"]).toBe("same-origin");
    expect(await page.title()).toBe("Sign out");
    await expectReadablePage(page);
    await screenshot(page, "worker-sign-out");
    // Still signed in: a GET changes nothing.
    expect((await sessionCookies(page.context(), allowlisted.workerUrl)).refresh).toBeDefined();

    // Forget the provider's session too, then sign out with the keyboard alone.
    await page.context().clearCookies({ domain: "127.0.0.1" });
    expect(await tabThrough(page)).toEqual([
      { element: "button Sign out", visible: true },
      { element: "a Cancel", visible: true },
    ]);
    await page.keyboard.press("Shift+Tab");
    const posted = page.waitForResponse(
      (r) => r.url() === `${allowlisted.workerUrl}/auth/logout` && r.request().method() === "POST",
    );
    await page.keyboard.press("Enter");
    expect((await posted).status()).toBe(303);
    // The 303 leads to this same address, which now says you are signed out.
    await page.waitForFunction(() => document.title === "You are signed out");
    expect(page.url()).toBe(`${allowlisted.workerUrl}/auth/logout`);
    const { access, refresh } = await sessionCookies(page.context(), allowlisted.workerUrl);
    expect(access).toBeUndefined();
    expect(refresh).toBeUndefined();
    expect(await page.getByRole("link", { name: "Sign in again" }).getAttribute("href")).toBe("/auth/login");
    await expectReadablePage(page);
    await screenshot(page, "worker-signed-out");
    expect(csp).toEqual([]);
  });

  it("not found (404) and sign-in required (401) are pages too, for navigations, in light and dark", async () => {
    const { page, csp } = await freshPage();
    const missing = await page.goto(`${allowlisted.workerUrl}/auth/nothing-here`);
    expect(missing!.status()).toBe(404);
    expectPageHeaders(missing!.headers());
    expect(await page.title()).toBe("Page not found");
    await expectReadablePage(page);

    const me = await page.goto(`${allowlisted.workerUrl}/auth/me`);
    expect(me!.status()).toBe(401);
    expect(await page.title()).toBe("Sign-in required");
    expect(await page.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/auth/login");
    await expectReadablePage(page);
    expect(csp).toEqual([]);

    // The same pages in the dark colour scheme keep their contrast.
    const dark = await browser.newContext({ colorScheme: "dark" });
    const darkPage = await dark.newPage();
    for (const path of ["/auth/nothing-here", "/auth/me", "/auth/logout"]) {
      await darkPage.goto(`${allowlisted.workerUrl}${path}`);
      // The body is painted with the dark scheme's Canvas, which is rgb(18, 18, 18) in Chromium.
      expect(await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(18, 18, 18)");
      await expectReadablePage(darkPage);
    }
    await dark.close();
  });

  it("the origin unavailable (502): a plain page that names nothing internal; Try again reloads the same address; still signed in", async () => {
    const { page, csp } = await freshPage();
    await allowlisted.stopOrigin();
    onTestFinished(() => allowlisted.startOriginAgain());
    await page.goto(`${allowlisted.workerUrl}/reports`);
    const final = page.waitForResponse(`${allowlisted.workerUrl}/reports`);
    await signInAtProvider(page, "ada@example.com");
    const response = await final;
    expect(response.status()).toBe(502);
    expectPageHeaders(response.headers());
    const body = await response.text();
    expect(body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|Error:|at \w+ \(/);
    // The origin's own page (src/http/page-texts.ts, ERR_ORIGIN_UNAVAILABLE), not the generic one.
    expect(await page.title()).toBe("Site unavailable");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Site unavailable");
    expect(await page.locator("main").innerText()).toContain("You are still signed in.");
    await expectReadablePage(page);
    await screenshot(page, "worker-origin-unavailable");
    expect((await sessionCookies(page.context(), allowlisted.workerUrl)).refresh).toBeDefined();

    const retry = page.waitForResponse(`${allowlisted.workerUrl}/reports`);
    await page.getByRole("link", { name: "Try again" }).click();
    expect((await retry).status()).toBe(502);
    expect(page.url()).toBe(`${allowlisted.workerUrl}/reports`);
    expect(csp).toEqual([]);
  });

  it("the provider unavailable at sign-in (502): says so, and Try again leads to a new sign-in, not to the spent callback", async () => {
    const { page, csp } = await freshPage();
    await page.goto(`${allowlisted.workerUrl}/reports`);
    // The provider goes away between its sign-in page and the code exchange. (page.route cannot
    // hold the callback: routes never see a request reached through redirects.) So the form
    // post and the provider's redirect are made with the context's own request API, which
    // shares the browser's cookies, and the browser itself opens the callback.
    const interaction = page.url();
    const posted = await page
      .context()
      .request.post(interaction, { form: { email: "ada@example.com" }, maxRedirects: 0 });
    expect(posted.status()).toBe(303);
    const resumed = await page
      .context()
      .request.get(new URL(posted.headers().location!, interaction).href, { maxRedirects: 0 });
    const callbackUrl = new URL(resumed.headers().location!, interaction);
    expect(callbackUrl.origin + callbackUrl.pathname).toBe(`${allowlisted.workerUrl}/auth/callback`);
    await allowlisted.stopProvider();
    onTestFinished(() => allowlisted.startProviderAgain());
    const response = (await page.goto(callbackUrl.href))!;
    expect(response.status()).toBe(502);
    expectPageHeaders(response.headers());
    expect(await page.title()).toBe("Sign-in service unavailable");
    expect(await page.getByRole("link", { name: "Try again" }).getAttribute("href")).toBe("/auth/login");
    expect(await response.text()).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|code=|Error:/);
    await expectReadablePage(page);
    await screenshot(page, "worker-provider-unavailable");
    expect((await sessionCookies(page.context(), allowlisted.workerUrl)).refresh).toBeUndefined();
    expect(csp).toEqual([]);
  });
});

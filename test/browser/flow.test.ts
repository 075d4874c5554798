/**
 * Signing in and out with a real browser (Debian's Chromium): the redirects, the cookies as
 * Chromium stores them, refresh after the access token expires, sign-out, two tabs, and what a
 * page's own fetch() sees. Same local stack as the e2e tests, with the worker on `localhost`.
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

/** The access cookie's lifetime (its Max-Age), checked on the cookie Chromium stores: ACCESS_TOKEN_TTL unset, 15 minutes. */
const ACCESS_TOKEN_TTL = 900;

describeInBrowser("signing in and out in Chromium", () => {
  /** Set by a test: the origin fails the next request it receives. */
  let failNextOriginRequest = false;
  let stack: BrowserStack;
  let browser: FileBrowser;

  beforeAll(async () => {
    const onOriginRequest = (_req: unknown, res: { destroy(): void }) => {
      if (!failNextOriginRequest) return false;
      // The origin drops the connection, as a crashed or unreachable server does.
      failNextOriginRequest = false;
      res.destroy();
      return true;
    };
    [stack, browser] = await Promise.all([startBrowserStack({ onOriginRequest }), openBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newContext(browser);
    return { context, page: await context.newPage() };
  }

  /** Opens `path` on the worker in a fresh browser profile and signs in as `email`. */
  async function signedIn(path: string, email: string) {
    const { context, page } = await freshPage();
    await page.goto(`${stack.workerUrl}${path}`);
    await signInAtProvider(page, email);
    await page.waitForURL(`${stack.workerUrl}${path}`);
    expect(await page.locator("#email").textContent()).toBe(email);
    return { context, page };
  }

  const originPaths = () => stack.originRequests.map((request) => request.url);

  it("goes from a protected page to the provider's sign-in page and back to that page, signed in", async () => {
    const { page } = await freshPage();
    const csp = watchCspViolations(page);
    const before = stack.originRequests.length;

    await page.goto(`${stack.workerUrl}/reports/q3?view=full`);
    expect(page.url().startsWith(`${stack.providerUrl}/interaction/`)).toBe(true);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
    expect(await page.locator("main").textContent()).toContain(new URL(stack.workerUrl).host);
    await expectReadablePage(page);
    // The e-mail field has focus (autofocus), so typing goes straight in.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("email");
    await screenshot(page, "provider-sign-in");
    // Nothing reached the origin before the sign-in.
    expect(stack.originRequests.length).toBe(before);

    await page.keyboard.type("ada@example.com");
    await page.keyboard.press("Enter");
    await page.waitForURL(`${stack.workerUrl}/reports/q3?view=full`);
    expect(await page.locator("#email").textContent()).toBe("ada@example.com");
    expect(await page.locator("#assertion").textContent()).toContain("assertion verified");
    await expectReadablePage(page);
    await screenshot(page, "origin-signed-in");

    const received = stack.originRequests.at(-1)!;
    expect(received.url).toBe("/reports/q3?view=full");
    expect(received.headers["x-auth-user-email"]).toBe("ada@example.com");
    expect(csp).toEqual([]);
  });

  it("keeps the session in host-only __Host- cookies (Secure, HttpOnly, SameSite=Lax, Path=/) that page scripts cannot read", async () => {
    const { context, page } = await signedIn("/settings", "grace@example.org");
    const { access, refresh } = await sessionCookies(context, stack.workerUrl);
    const now = Date.now() / 1000;
    for (const cookie of [access, refresh]) {
      expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
      // Host-only: exactly the worker's host. A Domain attribute would show as ".localhost".
      expect(cookie!.domain).toBe("localhost");
    }
    expect(access!.expires).toBeGreaterThan(now);
    expect(access!.expires).toBeLessThanOrEqual(now + ACCESS_TOKEN_TTL + 1);
    expect(refresh!.expires).toBeGreaterThan(now + 29 * 24 * 3600);
    // Cookies are per host, not per port: the provider (127.0.0.1) never sees the worker's.
    expect((await context.cookies(stack.providerUrl)).map((cookie) => cookie.name)).not.toContain("__Host-refresh");

    // /api/whoami makes the origin set two ordinary cookies: those the page can read, ours not.
    await page.goto(`${stack.workerUrl}/api/whoami`);
    const visible = await page.evaluate(() => document.cookie);
    expect(visible).toContain("origin_pref=1");
    expect(visible).not.toContain("__Host-");
    expect(visible).not.toContain(refresh!.value);
  });

  it("still loads the page after the access token has expired, and the browser then holds rotated cookies", async () => {
    const { context, page } = await signedIn("/inbox", "lin@example.com");
    const before = await sessionCookies(context, stack.workerUrl);
    // Once the access cookie's Max-Age (ACCESS_TOKEN_TTL, checked above) has passed, Chromium drops
    // it and has only the refresh cookie left to send. Dropped here instead of waiting for it.
    await context.clearCookies({ name: "__Host-access", domain: "localhost" });
    expect((await sessionCookies(context, stack.workerUrl)).access).toBeUndefined();
    expect((await sessionCookies(context, stack.workerUrl)).refresh?.value).toBe(before.refresh!.value);

    const response = await page.reload();
    expect(response!.status()).toBe(200);
    expect(await page.locator("#email").textContent()).toBe("lin@example.com");
    expect(await page.locator("#assertion").textContent()).toContain("assertion verified");
    const after = await sessionCookies(context, stack.workerUrl);
    expect(after.access?.value).toBeTruthy();
    expect(after.access!.value).not.toBe(before.access!.value);
    expect(after.refresh!.value).not.toBe(before.refresh!.value);
    expect(after.refresh).toMatchObject({
      secure: true,
      httpOnly: true,
      sameSite: "Lax",
      path: "/",
      domain: "localhost",
    });
  });

  it("signs out from the origin's page and stays signed out, although the provider still remembers the browser", async () => {
    const { context, page } = await signedIn("/home", "kim@example.com");
    const old = await sessionCookies(context, stack.workerUrl);

    const logout = page.waitForResponse(
      (response) => response.url() === `${stack.workerUrl}/auth/logout` && response.request().method() === "POST",
    );
    await page.getByRole("button", { name: "Sign out" }).click();
    const answer = await logout;
    expect(answer.status()).toBe(303);
    expect(answer.headers().location).toBe("/auth/logout");
    const cleared = (await answer.headersArray())
      .filter((header) => header.name.toLowerCase() === "set-cookie")
      .map((header) => header.value);
    expect(cleared).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^__Host-access=; Max-Age=0;/),
        expect.stringMatching(/^__Host-refresh=; Max-Age=0;/),
      ]),
    );

    // The page it ends on is the worker's own: no redirect through the provider, which (like
    // Google) would sign the person straight back in.
    await page.waitForURL(`${stack.workerUrl}/auth/logout`);
    expect(await page.title()).toBe("You are signed out");
    const after = await sessionCookies(context, stack.workerUrl);
    expect(after.access).toBeUndefined();
    expect(after.refresh).toBeUndefined();

    const replay = await fetch(`${stack.workerLoopbackUrl}/auth/refresh`, {
      method: "POST",
      headers: { cookie: `__Host-refresh=${old.refresh!.value}` },
    });
    expect(replay.status).toBe(401);
  });

  it("survives an origin outage during a refresh: the error page brings the new cookies, and a retry finds the person signed in", async () => {
    const { context, page } = await signedIn("/inbox", "rio@example.com");
    const before = await sessionCookies(context, stack.workerUrl);
    await context.clearCookies({ name: "__Host-access" });
    failNextOriginRequest = true;
    const failed = await page.goto(`${stack.workerUrl}/inbox`);
    expect(failed!.status()).toBe(502);
    expect(await page.title()).toBe("Site unavailable");
    const earned = await sessionCookies(context, stack.workerUrl);
    expect(earned.refresh!.value).not.toBe(before.refresh!.value);
    expect(earned.access).toBeDefined();

    await page.getByRole("link", { name: "Try again" }).click();
    await page.waitForURL(`${stack.workerUrl}/inbox`);
    expect(await page.locator("#email").textContent()).toBe("rio@example.com");
    expect((await sessionCookies(context, stack.workerUrl)).refresh!.value).toBe(earned.refresh!.value);
  });

  /**
   * Signs in at `path` in a fresh browser profile, forgets the provider's session there (like
   * signing out of Google as well), and signs out with the origin page's button: the browser
   * ends on the worker's "You are signed out" page.
   */
  async function signedOutEverywhere(path: string, email: string) {
    const { context, page } = await signedIn(path, email);
    await context.clearCookies({ domain: "127.0.0.1" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${stack.workerUrl}/auth/logout`);
    expect(await page.title()).toBe("You are signed out");
    return { context, page };
  }

  it("signs out with the provider signed out too: no session cookie, and the protected page asks to sign in again", async () => {
    const { context, page } = await signedOutEverywhere("/account", "sam@example.com");
    const { access, refresh } = await sessionCookies(context, stack.workerUrl);
    expect(access).toBeUndefined();
    expect(refresh).toBeUndefined();

    // Opening the page anew always goes to the worker, which sends the browser to sign in.
    const again = stack.originRequests.length;
    await page.goto(`${stack.workerUrl}/account`);
    expect(page.url().startsWith(`${stack.providerUrl}/interaction/`)).toBe(true);
    expect(await page.locator("body").innerText()).not.toContain("sam@example.com");
    expect(stack.originRequests.length).toBe(again);
  });

  // Authenticated responses are `Cache-Control: private` (browsers may cache them, shared caches
  // may not). Sign-out answers with `Clear-Site-Data: "cache"`, so Back cannot show a protected
  // page from Chromium's cache afterwards.
  it("Back after sign-out does not show the protected page from the browser's cache", async () => {
    const { page } = await signedOutEverywhere("/archive", "max@example.com");
    const before = stack.originRequests.length;
    await page.goBack();
    // Back either asks the worker for /archive again (which sends it to sign in) or shows the
    // provider's page; never the signed-in page from the cache, and the origin is not asked.
    expect(
      page.url() === `${stack.workerUrl}/archive` || page.url().startsWith(`${stack.providerUrl}/interaction/`),
    ).toBe(true);
    expect(await page.locator("body").innerText()).not.toContain("max@example.com");
    expect(stack.originRequests.length).toBe(before);
  });

  it("lets two tabs that start signing in at the same time both end up signed in, each on its own page", async () => {
    const { context } = await freshPage();
    const [tabA, tabB] = [await context.newPage(), await context.newPage()];
    await Promise.all([tabA.goto(`${stack.workerUrl}/tab-a?n=1`), tabB.goto(`${stack.workerUrl}/tab-b?n=2`)]);
    for (const tab of [tabA, tabB]) expect(tab.url().startsWith(`${stack.providerUrl}/interaction/`)).toBe(true);
    // Two logins in flight: two login cookies, one per tab.
    const logins = (await context.cookies(stack.workerUrl)).filter((cookie) => cookie.name.startsWith("__Host-login-"));
    expect(logins).toHaveLength(2);

    await Promise.all([signInAtProvider(tabA, "tabs@example.com"), signInAtProvider(tabB, "tabs@example.com")]);
    await Promise.all([
      tabA.waitForURL(`${stack.workerUrl}/tab-a?n=1`),
      tabB.waitForURL(`${stack.workerUrl}/tab-b?n=2`),
    ]);
    for (const tab of [tabA, tabB]) {
      expect(await tab.locator("#email").textContent()).toBe("tabs@example.com");
      // And both stay signed in with whatever cookies the browser kept last.
      await tab.reload();
      expect(await tab.locator("#email").textContent()).toBe("tabs@example.com");
    }
    expect(originPaths()).toEqual(expect.arrayContaining(["/tab-a?n=1", "/tab-b?n=2"]));
  });

  it("answers a page's fetch() to a protected API without a session with a 401 and JSON it can read, not a redirect", async () => {
    const { page } = await freshPage();
    // A public page of the same site (no session needed) to run the fetch from.
    await page.goto(`${stack.workerUrl}/public/start`);
    const before = stack.originRequests.length;
    const result = await page.evaluate(async () => {
      const response = await fetch("/api/whoami", { credentials: "same-origin" });
      return {
        status: response.status,
        type: response.type,
        redirected: response.redirected,
        contentType: response.headers.get("content-type"),
        authenticate: response.headers.get("www-authenticate"),
        body: await response.json(),
      };
    });
    expect(result).toMatchObject({
      status: 401,
      type: "basic",
      redirected: false,
      authenticate: 'Bearer realm="edge-auth"',
    });
    expect(result.contentType).toMatch(/^application\/json/);
    expect(result.body).toEqual({ error: "unauthorized", message: expect.any(String) });
    expect(stack.originRequests.length).toBe(before);
  });
});

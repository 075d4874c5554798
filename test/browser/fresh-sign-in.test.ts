/**
 * A rule's maxAge in Chromium (docs/access-policies.md, "A fresh sign-in for sensitive paths"): a sign-in the provider made too long ago is
 * asked for again, a recent one is not, and nobody is asked twice in a row.
 */
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import {
  describeInBrowser,
  openBrowser,
  newContext,
  signInAtProvider,
  startBrowserStack,
  type BrowserStack,
  type FileBrowser,
} from "./support";

const MAX_AGE = 300;
const POLICY = [{ path: "/admin/*", allow: { domains: ["*"] }, maxAge: MAX_AGE }];

describeInBrowser("a fresh sign-in for a maxAge rule, in Chromium", () => {
  let stack: BrowserStack;
  let browser: FileBrowser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([
      startBrowserStack({ vars: { ACCESS_POLICY: JSON.stringify(POLICY) } }),
      openBrowser(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });
  afterEach(() => vi.useRealTimers());

  /** Every URL the page requests from now on (redirects included), in order. */
  function requests(page: Page): string[] {
    const seen: string[] = [];
    page.on("request", (request) => void seen.push(request.url()));
    return seen;
  }

  async function signedIn(email: string): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${stack.workerUrl}/home`);
    await signInAtProvider(page, email);
    await page.waitForURL(`${stack.workerUrl}/home`);
    return page;
  }

  it("asks again at the provider when its sign-in is older than maxAge, then opens the page", async () => {
    const page = await signedIn("ops@example.com");
    // The provider runs in this process: an hour passes for it (only its clock), so its own session
    // is older than max_age and it must ask for the account again.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_600_000 });
    await page.goto(`${stack.workerUrl}/admin/keys`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in");
    expect(new URL(page.url()).origin).toBe(stack.providerUrl);
    // Back to now, to sign in: the new sign-in is recent.
    vi.useRealTimers();
    await signInAtProvider(page, "ops@example.com");
    await page.waitForURL(`${stack.workerUrl}/admin/keys`);
    expect(await page.content()).toContain("ops@example.com");

    // Moving between the rule's page and the rest asks nothing again.
    const seen = requests(page);
    for (const path of ["/home", "/admin/keys", "/home", "/admin/other"]) {
      await page.goto(`${stack.workerUrl}${path}`);
      expect(page.url()).toBe(`${stack.workerUrl}${path}`);
    }
    expect(seen.filter((url) => url.startsWith(stack.providerUrl))).toEqual([]);
  });

  it("does not ask a person whose sign-in at the provider is recent: the provider answers at once", async () => {
    const page = await signedIn("dev@example.com");
    const seen = requests(page);
    await page.goto(`${stack.workerUrl}/admin/keys`);
    await page.waitForURL(`${stack.workerUrl}/admin/keys`);
    expect(await page.content()).toContain("dev@example.com");
    // The worker asked the provider (with max_age), which answered without a page of its own.
    const atProvider = seen.filter((url) => url.startsWith(stack.providerUrl));
    expect(atProvider.some((url) => new URL(url).searchParams.get("max_age") === String(MAX_AGE))).toBe(true);
    expect(atProvider.filter((url) => url.includes("/interaction/"))).toEqual([]);
  });
});

/**
 * Shared pieces of the browser tests: Chromium or Chrome (driven by playwright-core), the
 * rule for a missing browser, a local stack whose worker is reached as `http://localhost`,
 * and screenshots.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { startOrigin } from "../../demo/origin.mjs";
import { findChromium } from "../../scripts/lib/find-chromium.mjs";
import { leaseWorker, startLeasedOrigin, startLeasedParts, startLeasedProvider } from "../support/stack";

/** CHROMIUM_PATH, else Chromium or Google Chrome where Linux and macOS put them (scripts/lib/find-chromium.mjs). */
const BROWSER = findChromium();

const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Small, readable screenshots: the pages are designed for this size. */
export const VIEWPORT = { width: 1000, height: 700 };

/**
 * `describe` for a file of browser tests. Without Chromium the file fails with how to install it:
 * a browser test is never skipped, so no run goes green without having driven a browser.
 */
export function describeInBrowser(name: string, suite: () => void): void {
  if (BROWSER.path) {
    describe(name, suite);
    return;
  }
  const missing = `${BROWSER.problem}: npm test's first step (scripts/test-setup.mjs) says how to install one for this system`;
  describe(name, () => {
    it("has a browser to run in", () => {
      throw new Error(missing);
    });
  });
}

/**
 * The test process's one Chromium. The project runs its files in two processes, each file after
 * another in its process, and a launch is a second or more of a loaded machine's time: a
 * process's first file launches it, the next ones open their profiles in it. It ends with the
 * process: Playwright kills it at exit, and Chromium quits by itself when the pipe to a killed
 * process closes. One that has crashed is launched again.
 */
let processChromium: Promise<Browser> | undefined;

function chromiumOfThisProcess(): Promise<Browser> {
  const launched = processChromium;
  if (launched) return launched.then((browser) => (browser.isConnected() ? browser : relaunch()));
  return relaunch();
}

function relaunch(): Promise<Browser> {
  const launching = chromium.launch({ executablePath: BROWSER.path, args: LAUNCH_ARGS, timeout: 60_000 });
  processChromium = launching;
  // A failed launch is not kept: the next file tries again (and reports its own failure).
  launching.catch(() => processChromium === launching && (processChromium = undefined));
  return launching;
}

/** A test file's share of the process's Chromium: the browser profiles it opens, and only those. */
export interface FileBrowser {
  /** A fresh browser profile (cookie jar, cache), with exactly these options. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** Closes every profile this file opened (and their pages); the browser stays for the next file. */
  close(): Promise<void>;
}

export async function openBrowser(): Promise<FileBrowser> {
  const browser = await chromiumOfThisProcess();
  const contexts = new Set<BrowserContext>();
  return {
    async newContext(options) {
      const context = await browser.newContext(options);
      contexts.add(context);
      context.on("close", () => contexts.delete(context));
      return context;
    },
    async close() {
      await Promise.all([...contexts].map((context) => context.close()));
    },
  };
}

/** A fresh browser profile (cookie jar, cache) with the screenshot viewport. */
export function newContext(browser: FileBrowser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    locale: "en-GB",
    colorScheme: "light",
    reducedMotion: "reduce",
  });
}

const SCREENSHOT_DIR = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

/**
 * Screenshots of the pages people see, for docs/screenshots/ (git-tracked): taken only when
 * UPDATE_SCREENSHOTS=1. An ordinary run compares nothing with them and must leave the work tree
 * clean (ports, times and tokens on the pages differ on every run), so it spends no time on them:
 * a fifth of a second each.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.UPDATE_SCREENSHOTS !== "1") return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // The viewport only (not the full page): small files that show what a person sees first.
  await page.screenshot({
    path: join(SCREENSHOT_DIR, `${name}.png`),
    animations: "disabled",
    caret: "hide",
    scale: "css",
  });
}

export interface BrowserStack {
  /** The worker as the browser sees it: `http://localhost:<port>` (its PUBLIC_URL). */
  workerUrl: string;
  /** The same worker on 127.0.0.1, for requests from Node. */
  workerLoopbackUrl: string;
  /** The provider's issuer, `http://127.0.0.1:<port>`: another host, so another cookie jar. */
  providerUrl: string;
  originUrl: string;
  /** What the origin received (since it last started: see startOriginAgain()). */
  readonly originRequests: { method: string; url: string; headers: Record<string, string | string[] | undefined> }[];
  /** Stops the provider (to show what happens when it is down). */
  stopProvider(): Promise<void>;
  /** Starts it again after stopProvider(): the same issuer, keys and client, no session of before. */
  startProviderAgain(): Promise<void>;
  /** Stops the origin: the worker's connections to ORIGIN_URL are refused, as with an origin that is down. */
  stopOrigin(): Promise<void>;
  /** Starts it again after stopOrigin(), on the same port, with an empty `originRequests`. */
  startOriginAgain(): Promise<void>;
  close(): Promise<void>;
}

export interface BrowserStackOptions {
  vars?: Record<string, string>;
  /** The demo origin's test hook (see demo/README.md): runs before it answers a request. */
  onOriginRequest?: NonNullable<Parameters<typeof startOrigin>[0]>["onRequest"];
  /** The demo accounts the provider's account chooser lists (`prompt=select_account`). */
  providerAccounts?: string[];
}

/**
 * The local stack of test/support/stack.ts, except that the browser reaches the worker as
 * `http://localhost:<port>` while the provider stays on `127.0.0.1`. Cookies are scoped by
 * host, not port: with both on 127.0.0.1 the browser would send the provider's cookies to the
 * worker and the worker's `__Host-` cookies to the provider, which no real deployment does.
 * The worker is leased from the project's shared workers (one per set of vars); the provider
 * and the origin are this file's own.
 */
export async function startBrowserStack(options: BrowserStackOptions = {}): Promise<BrowserStack> {
  const broker = inject("sharedWorkers");
  if (!broker) throw new Error("the browser project's global setup (test/support/shared-workers.ts) did not run");
  const { lease, release } = await leaseWorker(broker, {
    vars: options.vars ?? {},
    publicOnLocalhost: true,
    secondProvider: false,
  });
  const parts = await startLeasedParts(lease, release, options);
  let { origin } = parts;
  let provider: typeof parts.provider | undefined = parts.provider;
  const workerUrl = lease.publicUrl!;
  return {
    workerUrl,
    workerLoopbackUrl: lease.workerUrl,
    providerUrl: provider.issuer,
    originUrl: `http://127.0.0.1:${lease.originPort}`,
    get originRequests() {
      return (origin?.requests ?? []) as BrowserStack["originRequests"];
    },
    async stopProvider() {
      await provider?.close();
      provider = undefined;
    },
    async startProviderAgain() {
      provider ??= await startLeasedProvider(lease, options);
    },
    async stopOrigin() {
      await origin?.close();
      origin = undefined;
    },
    async startOriginAgain() {
      origin ??= await startLeasedOrigin(lease, options);
    },
    async close() {
      await Promise.all([provider?.close(), origin?.close()]);
      await release();
    },
  };
}

/** On the local provider's sign-in page: type the e-mail and submit, as a person would. */
export async function signInAtProvider(page: Page, email: string): Promise<void> {
  await page.getByLabel("E-mail address").fill(email);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The worker's session cookies as the browser stored them. */
export async function sessionCookies(context: BrowserContext, workerUrl: string) {
  const cookies = await context.cookies(workerUrl);
  return {
    access: cookies.find((cookie) => cookie.name === "__Host-access"),
    refresh: cookies.find((cookie) => cookie.name === "__Host-refresh"),
    all: cookies,
  };
}

/**
 * Collects what Chromium reports about Content-Security-Policy on this page (a blocked inline
 * style, a blocked form post, ...): these tests expect none.
 */
export function watchCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/**
 * Basic accessibility and styling of the page now shown: `lang`, a title, one `main` and one
 * `h1`, the stylesheet applied (so the CSP let it through), and every piece of text with a
 * contrast ratio of at least 4.5:1 against its background (3:1 for large text), WCAG AA.
 */
export async function expectReadablePage(page: Page): Promise<void> {
  const report = await page.evaluate(() => {
    const rgba = (value: string) => {
      const parts = value.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
      return { r: parts[0]!, g: parts[1]!, b: parts[2]!, a: parts[3] ?? 1 };
    };
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const background = (element: Element | null) => {
      for (let e = element; e; e = e.parentElement) {
        const color = rgba(getComputedStyle(e).backgroundColor);
        if (color.a > 0) return color;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const lowContrast: string[] = [];
    for (const element of document.body.querySelectorAll("*")) {
      const ownText = [...element.childNodes].some(
        (node) => node.nodeType === Node.TEXT_NODE && node.textContent!.trim() !== "",
      );
      if (!ownText) continue;
      const style = getComputedStyle(element);
      const fg = luminance(rgba(style.color));
      const bg = luminance(background(element));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        lowContrast.push(
          `${element.tagName.toLowerCase()} "${element.textContent.trim().slice(0, 40)}": ${ratio.toFixed(2)}`,
        );
    }
    return {
      lang: document.documentElement.lang,
      title: document.title,
      mains: document.querySelectorAll("main").length,
      h1s: document.querySelectorAll("h1").length,
      bodyBackground: getComputedStyle(document.body).backgroundColor,
      lowContrast,
    };
  });
  expect(report.lang).toBe("en");
  expect(report.title.length).toBeGreaterThan(0);
  expect(report.mains).toBe(1);
  expect(report.h1s).toBe(1);
  // Every page here paints its body: without the stylesheet it would be transparent.
  expect(report.bodyBackground).not.toBe("rgba(0, 0, 0, 0)");
  expect(report.lowContrast).toEqual([]);
}

/**
 * Tabs through every link, button and input on the page, as a keyboard user would, and returns
 * what got focus, each with whether a focus indicator (an outline of at least 2px) shows.
 */
export async function tabThrough(page: Page): Promise<{ element: string; visible: boolean }[]> {
  const count = await page.locator("a[href], button, input:not([type=hidden])").count();
  const seen: { element: string; visible: boolean }[] = [];
  // Start from the top of the document, not from an autofocused field.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  for (let i = 0; i < count; i++) {
    await page.keyboard.press("Tab");
    seen.push(
      await page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        const style = getComputedStyle(element);
        const label = `${element.tagName.toLowerCase()} ${(element.textContent || element.getAttribute("name") || "").trim()}`;
        return { element: label, visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
      }),
    );
  }
  return seen;
}

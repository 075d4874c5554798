/**
 * A short name for the browser and system a User-Agent header names ("Chrome on macOS"), for a
 * person to recognise their own sessions by. Deliberately small: a few families, tested in
 * order (Edge and Opera also say "Chrome", Chrome also says "Safari", everything says "Mozilla").
 * Not for decisions: a User-Agent is whatever the client chose to send.
 */
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/\bHeadlessChrome\/|\bChrome\/|\bCriOS\/|\bChromium\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/^curl\//, "curl"],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\biPhone\b|\biPad\b|\biPod\b/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

/** A User-Agent beyond this length is not read at all (nothing legitimate is that long). */
const MAX_USER_AGENT_LENGTH = 1024;

/** "Chrome on macOS", "Firefox", "Windows"; undefined when neither is recognised. */
export function deviceName(userAgent: string | null | undefined): string | undefined {
  if (!userAgent || userAgent.length > MAX_USER_AGENT_LENGTH) return undefined;
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system;
}

// Where the browser tests (and the screenshots they take) find a browser: CHROMIUM_PATH, else
// Chromium or Google Chrome where their packages and installers put them on Linux and macOS.
import { exists, localMachine } from "./machine.mjs";

/** The usual places, first found wins: Debian, Ubuntu and Fedora's packages, Google's, snap; the macOS apps. */
export function chromiumPlaces(machine) {
  if (machine.platform === "darwin") {
    const apps = ["Google Chrome.app/Contents/MacOS/Google Chrome", "Chromium.app/Contents/MacOS/Chromium"];
    return [...apps.map((app) => `/Applications/${app}`), ...apps.map((app) => `${machine.home}/Applications/${app}`)];
  }
  return [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
  ];
}

/**
 * The browser to drive: `{ path }`, or `{ problem }` saying where it looked. An explicit
 * CHROMIUM_PATH is the only place looked at: one that does not exist is a mistake to name, not a
 * reason to fall back to another browser.
 */
export function findChromium(machine = localMachine()) {
  const explicit = machine.env.CHROMIUM_PATH;
  if (explicit) {
    return exists(machine, explicit)
      ? { path: explicit }
      : { problem: `CHROMIUM_PATH=${explicit}: no such file (unset it, or give the path of Chrome or Chromium)` };
  }
  const places = chromiumPlaces(machine);
  const path = places.find((place) => exists(machine, place));
  return path ? { path } : { problem: `no Chromium or Google Chrome (looked at CHROMIUM_PATH, ${places.join(", ")})` };
}

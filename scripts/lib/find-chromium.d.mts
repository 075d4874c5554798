// Types for find-chromium.mjs, so the browser tests can import it.
import type { Machine } from "./machine.mjs";

export function chromiumPlaces(machine: Machine): string[];
/** CHROMIUM_PATH, else the first of the usual places: `{ path }`, or `{ problem }` saying where it looked. */
export function findChromium(
  machine?: Machine,
): { path: string; problem?: undefined } | { path?: undefined; problem: string };

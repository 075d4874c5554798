// Types for test-setup.mjs, so its test can import it.
import type { Machine } from "./lib/machine.mjs";

export function missingPieces(machine: Machine): { key: string; what: string; problem: string }[];
/** True when the tests have all they need (after installing it, on Debian or Ubuntu as root). */
export function prepareTestTools(machine?: Machine, log?: (line: string) => void): boolean;

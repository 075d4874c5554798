// The machine the tests run on, as the test set-up sees it: its operating system, its
// environment variables, whether we are root, and its files seen from `root` ("/" but in the
// set-up's own test, which gives it a directory standing for a whole machine).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** This machine. */
export function localMachine() {
  return { root: "/", env: process.env, platform: process.platform, isRoot: process.getuid?.() === 0, home: homedir() };
}

/** Where `path` (absolute on the machine) is on this one's disk. */
export const onDisk = (machine, path) => (machine.root === "/" ? path : join(machine.root, path));

export const exists = (machine, path) => existsSync(onDisk(machine, path));

/** The first `name` in the machine's PATH, as a path on the machine; undefined if none. */
export function which(machine, name) {
  const dirs = (machine.env.PATH ?? "").split(delimiter).filter((dir) => dir.startsWith("/"));
  return dirs.map((dir) => join(dir, name)).find((path) => exists(machine, path));
}

/** Runs a program of the machine (a path on it); its exit status and output. */
export function run(machine, path, args, options = {}) {
  // apt-get install says a lot even with -qq: room for all of it, shown only on failure.
  const result = spawnSync(onDisk(machine, path), args, {
    encoding: "utf8",
    timeout: 30_000,
    maxBuffer: 256 * 1024 * 1024,
    ...options,
  });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

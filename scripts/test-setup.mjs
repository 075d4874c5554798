#!/usr/bin/env node
// `npm test`'s first step: finds what the tests use besides Node (a browser, Python with PyJWT,
// Go with go-jose v2) and, when something is missing, installs it where it can (Debian or
// Ubuntu, as root: apt-get, as CI's .ci/run relies on) or stops at once, naming each missing
// piece with the command that installs it on this system, instead of failing after minutes of
// tests. Where each is looked for: README "What you need", and scripts/lib/.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { findChromium } from "./lib/find-chromium.mjs";
import { exists, localMachine, onDisk, run, which } from "./lib/machine.mjs";
import { findGo, findGoLibraries, findPython } from "./lib/verifier-tools.mjs";

/** What the tests need, what each is for, and how each is found. */
const PIECES = [
  { key: "browser", what: "Chromium or Google Chrome, for the browser tests", find: findChromium },
  { key: "python", what: "Python 3 with PyJWT and cryptography, for verifier/python's tests", find: findPython },
  { key: "go", what: "Go, for verifier/go's tests", find: findGo },
  {
    key: "go-libraries",
    what: "go-jose v2 and golang.org/x/crypto in a GOPATH, for verifier/go",
    find: findGoLibraries,
  },
];

// Sources in the user's GOPATH, for systems without a package for them (built in GOPATH mode).
const GOPATH_SOURCES = [
  'git clone --depth 1 --branch v2.6.0 https://github.com/square/go-jose "$(go env GOPATH)/src/gopkg.in/square/go-jose.v2"',
  'git clone --depth 1 https://go.googlesource.com/crypto "$(go env GOPATH)/src/golang.org/x/crypto"',
];

/**
 * Each system's way to install each piece: packages for its package manager, or commands.
 * Debian's packages are the ones CI installs; the others are the same pieces by their names there.
 */
const SYSTEMS = [
  {
    manager: "apt-get",
    install: (packages, isRoot) => `${isRoot ? "" : "sudo "}apt-get install -y --no-install-recommends ${packages}`,
    packages: {
      browser: ["chromium"],
      python: ["python3-jwt", "python3-cryptography"],
      go: ["golang-go"],
      "go-libraries": ["golang-gopkg-square-go-jose.v2-dev"],
    },
  },
  {
    manager: "dnf",
    install: (packages, isRoot) => `${isRoot ? "" : "sudo "}dnf install -y ${packages}`,
    packages: { browser: ["chromium"], python: ["python3-pyjwt", "python3-cryptography"], go: ["golang"] },
    commands: { "go-libraries": GOPATH_SOURCES },
  },
  {
    manager: "pacman",
    install: (packages, isRoot) => `${isRoot ? "" : "sudo "}pacman -S --needed ${packages}`,
    packages: { browser: ["chromium"], python: ["python-pyjwt", "python-cryptography"], go: ["go"] },
    commands: { "go-libraries": GOPATH_SOURCES },
  },
  {
    manager: "brew",
    install: (packages) => `brew install ${packages}`,
    packages: { python: ["python"], go: ["go"] },
    commands: {
      browser: ["brew install --cask chromium   # or Google Chrome, from https://www.google.com/chrome/"],
      // Homebrew's Python refuses a global pip install (PEP 668): a virtual environment, named by PYTHON.
      python: [
        "python3 -m venv ~/.venvs/edge-auth-worker",
        "~/.venvs/edge-auth-worker/bin/pip install pyjwt cryptography",
        "export PYTHON=~/.venvs/edge-auth-worker/bin/python3   # in your shell's profile too",
      ],
      "go-libraries": GOPATH_SOURCES,
    },
  },
];

/** Ubuntu's `chromium` is no package: its browser is `chromium-browser` (a snap), the rest as Debian's. */
function isUbuntu(machine) {
  const release = exists(machine, "/etc/os-release") ? readFileSync(onDisk(machine, "/etc/os-release"), "utf8") : "";
  return /^ID(_LIKE)?=.*\bubuntu\b/m.test(release);
}

/** The system whose package manager is on PATH (macOS without Homebrew: Homebrew's, to install first). */
function systemOf(machine) {
  const found = SYSTEMS.find((system) => which(machine, system.manager));
  if (found?.manager === "apt-get" && isUbuntu(machine))
    return { ...found, packages: { ...found.packages, browser: ["chromium-browser"] } };
  if (found) return found;
  return machine.platform === "darwin" ? { ...SYSTEMS.at(-1), missingManager: true } : undefined;
}

/** Each piece that is missing, with why: `[{ key, what, problem }]`. */
export function missingPieces(machine) {
  return PIECES.map((piece) => ({ ...piece, problem: piece.find(machine).problem })).filter((piece) => piece.problem);
}

/** The commands that install `missing` on `system`, in order. */
function installCommands(system, missing, isRoot) {
  const packages = missing.flatMap((piece) => system.packages[piece.key] ?? []);
  return [
    ...(system.missingManager
      ? ['/bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)"']
      : []),
    ...(packages.length > 0 ? [system.install(packages.join(" "), isRoot)] : []),
    ...missing.flatMap((piece) => system.commands?.[piece.key] ?? []),
  ];
}

function report(missing, commands, log) {
  log("npm test: the tests need what this machine does not have:");
  for (const piece of missing) log(`  - ${piece.what}: ${piece.problem}`);
  if (commands.length > 0) {
    log("Install them with:");
    for (const command of commands) log(`  ${command}`);
  } else log("Install them with your system's package manager (README, What you need).");
  log("then run npm test again.");
}

/**
 * Makes sure the tests have what they need; true when they do. On Debian or Ubuntu as root it
 * installs what is missing (one `apt-get update`, then `apt-get install`); anywhere else it only
 * looks, and says what to run. A CHROMIUM_PATH or PYTHON that names nothing usable is never
 * "fixed" by installing something else: it is reported.
 */
export function prepareTestTools(machine = localMachine(), log = console.error) {
  const missing = missingPieces(machine);
  if (missing.length === 0) return true;
  const system = systemOf(machine);
  const explicit = missing.some((piece) => /^(CHROMIUM_PATH|PYTHON)=/.test(piece.problem));
  if (system?.manager !== "apt-get" || !machine.isRoot || explicit) {
    report(missing, system ? installCommands(system, missing, machine.isRoot) : [], log);
    return false;
  }
  const packages = missing.flatMap((piece) => system.packages[piece.key]);
  log(`npm test: installing what the tests need: ${packages.join(" ")}`);
  const apt = which(machine, "apt-get");
  const env = { ...machine.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", ...packages],
  ]) {
    const result = run(machine, apt, args, { env, timeout: 600_000 });
    if (result.status !== 0) {
      log(`npm test: apt-get ${args[0]} failed (exit ${result.status}):\n${result.output.trim()}`);
      return false;
    }
  }
  const still = missingPieces(machine);
  if (still.length > 0) report(still, installCommands(system, still, true), log);
  return still.length === 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = prepareTestTools() ? 0 : 1;
}

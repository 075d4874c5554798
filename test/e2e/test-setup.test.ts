import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findChromium } from "../../scripts/lib/find-chromium.mjs";
import type { Machine } from "../../scripts/lib/machine.mjs";
import { missingPieces, prepareTestTools } from "../../scripts/test-setup.mjs";

/**
 * `npm test`'s set-up step (scripts/test-setup.mjs) on machines that are directories: a bare
 * Debian with a stand-in apt-get (test/support/fake-apt-get.mjs, which puts each package's files
 * where Debian's would), as root and not, and a Mac and a Fedora machine with nothing installed.
 */
const EVERY_PACKAGE = "chromium python3-jwt python3-cryptography golang-go golang-gopkg-square-go-jose.v2-dev";

/** A machine with nothing but the named package managers: stand-ins that record their calls. */
function bareMachine(options: {
  platform?: string;
  isRoot?: boolean;
  managers?: string[];
  env?: Record<string, string>;
}) {
  const root = mkdtempSync(join(tmpdir(), "test-setup-"));
  const calls = join(root, "calls");
  writeFileSync(calls, "");
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), 0o755);
  };
  for (const manager of options.managers ?? []) {
    const standIn =
      manager === "apt-get"
        ? `exec "${process.execPath}" "${resolve("test/support/fake-apt-get.mjs")}" "$@"`
        : `echo '["${manager}"]' >> "${calls}"; exit 1`;
    put(`/usr/bin/${manager}`, `#!/bin/sh\n${standIn}\n`);
  }
  const machine: Machine = {
    root,
    platform: options.platform ?? "linux",
    isRoot: options.isRoot ?? true,
    home: "/home/ada",
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", FAKE_ROOT: root, FAKE_APT_CALLS: calls, ...options.env },
  };
  const lines: string[] = [];
  return {
    machine,
    put,
    prepare: () => prepareTestTools(machine, (line) => lines.push(line)),
    output: () => lines.join("\n"),
    calls: () =>
      readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as string[]).join(" ")),
  };
}

describe("npm test's set-up step", () => {
  it("on Debian as root, installs every missing package with apt-get, then finds them all", () => {
    const debian = bareMachine({ managers: ["apt-get"] });
    expect(missingPieces(debian.machine).map((piece) => piece.key)).toEqual([
      "browser",
      "python",
      "go",
      "go-libraries",
    ]);
    expect(debian.prepare()).toBe(true);
    expect(debian.calls()).toEqual(["update -qq", `install -y -qq --no-install-recommends ${EVERY_PACKAGE}`]);
    expect(debian.output()).toContain(`installing what the tests need: ${EVERY_PACKAGE}`);
    expect(missingPieces(debian.machine)).toEqual([]);
    expect(findChromium(debian.machine)).toEqual({ path: "/usr/bin/chromium" });

    // Everything there now: nothing more runs, nothing more is said.
    const said = debian.output();
    expect(debian.prepare()).toBe(true);
    expect(debian.calls()).toHaveLength(2);
    expect(debian.output()).toBe(said);
  });

  it("installs only what is missing, and takes Google Chrome for a browser", () => {
    const debian = bareMachine({ managers: ["apt-get"] });
    debian.put("/usr/bin/google-chrome-stable", "#!/bin/sh\n");
    debian.put("/usr/bin/go", "#!/bin/sh\n");
    expect(debian.prepare()).toBe(true);
    expect(debian.calls().at(-1)).toBe(
      "install -y -qq --no-install-recommends python3-jwt python3-cryptography golang-gopkg-square-go-jose.v2-dev",
    );
    expect(findChromium(debian.machine)).toEqual({ path: "/usr/bin/google-chrome-stable" });
  });

  it("on Debian without root, installs nothing and gives the sudo command", () => {
    const debian = bareMachine({ managers: ["apt-get"], isRoot: false });
    expect(debian.prepare()).toBe(false);
    expect(debian.calls()).toEqual([]);
    expect(debian.output()).toContain(`  sudo apt-get install -y --no-install-recommends ${EVERY_PACKAGE}\n`);
  });

  it("on Ubuntu, names its browser package, chromium-browser", () => {
    const ubuntu = bareMachine({ managers: ["apt-get"], isRoot: false });
    ubuntu.put("/etc/os-release", 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n');
    expect(ubuntu.prepare()).toBe(false);
    expect(ubuntu.output()).toContain(
      "  sudo apt-get install -y --no-install-recommends chromium-browser python3-jwt python3-cryptography golang-go",
    );
  });

  it("on a Mac, names each missing piece and the Homebrew commands, and runs none of them", () => {
    const mac = bareMachine({ platform: "darwin", managers: ["brew"] });
    const started = performance.now();
    expect(mac.prepare()).toBe(false);
    // Within the first second, not after minutes of tests.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(mac.calls()).toEqual([]);
    const output = mac.output();
    for (const piece of [
      "Chromium or Google Chrome, for the browser tests: no Chromium or Google Chrome (looked at CHROMIUM_PATH, /Applications/Google Chrome.app/Contents/MacOS/Google Chrome,",
      "Python 3 with PyJWT and cryptography, for verifier/python's tests: no Python 3 that imports jwt (PyJWT) and cryptography (tried no python3 on PATH)",
      "Go, for verifier/go's tests: no go on PATH",
      "go-jose v2 and golang.org/x/crypto in a GOPATH, for verifier/go: no gopkg.in/square/go-jose.v2, golang.org/x/crypto/ed25519, golang.org/x/crypto/pbkdf2 in a GOPATH (looked in /usr/share/gocode, /home/ada/go)",
    ])
      expect(output).toContain(`\n  - ${piece}`);
    for (const command of [
      "brew install python go",
      "brew install --cask chromium",
      "~/.venvs/edge-auth-worker/bin/pip install pyjwt cryptography",
      "export PYTHON=~/.venvs/edge-auth-worker/bin/python3",
      'git clone --depth 1 --branch v2.6.0 https://github.com/square/go-jose "$(go env GOPATH)/src/gopkg.in/square/go-jose.v2"',
    ])
      expect(output).toContain(`\n  ${command}`);
    expect(output).not.toContain("apt-get");
  });

  it("on a Mac without Homebrew, says to install Homebrew first", () => {
    const mac = bareMachine({ platform: "darwin" });
    expect(mac.prepare()).toBe(false);
    expect(mac.output()).toMatch(
      /Install them with:\n {2}\/bin\/bash -c .*Homebrew\/install.*\n {2}brew install python go\n/,
    );
  });

  it("on Fedora, gives dnf's package names and the GOPATH sources", () => {
    const fedora = bareMachine({ managers: ["dnf"], isRoot: false });
    expect(fedora.prepare()).toBe(false);
    expect(fedora.calls()).toEqual([]);
    expect(fedora.output()).toContain("\n  sudo dnf install -y chromium python3-pyjwt python3-cryptography golang\n");
    expect(fedora.output()).toContain("https://go.googlesource.com/crypto");
  });

  it("reports a CHROMIUM_PATH or PYTHON that names nothing usable instead of installing around it", () => {
    const debian = bareMachine({
      managers: ["apt-get"],
      env: { CHROMIUM_PATH: "/nope", PYTHON: "/opt/py/bin/python3" },
    });
    debian.put("/usr/bin/chromium", "#!/bin/sh\n");
    expect(findChromium(debian.machine)).toEqual({
      problem: "CHROMIUM_PATH=/nope: no such file (unset it, or give the path of Chrome or Chromium)",
    });
    expect(debian.prepare()).toBe(false);
    expect(debian.calls()).toEqual([]);
    expect(debian.output()).toContain("PYTHON=/opt/py/bin/python3: cannot import jwt and cryptography");
    debian.machine.env.CHROMIUM_PATH = "/usr/bin/chromium";
    expect(findChromium(debian.machine)).toEqual({ path: "/usr/bin/chromium" });
  });

  it("on this machine, where the tests run, finds everything at once and says nothing", () => {
    const started = performance.now();
    const result = spawnSync(process.execPath, ["scripts/test-setup.mjs"], { encoding: "utf8" });
    const seconds = (performance.now() - started) / 1000;
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(seconds).toBeLessThan(3);
  });
});

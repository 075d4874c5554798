#!/usr/bin/env node
// A stand-in for Debian's `apt-get` on a machine that is a directory (FAKE_ROOT): `install` puts
// where each package would put them the files the test set-up looks for (Chromium's binary, a
// python3 that imports what is installed next to it, go, go-jose's and x/crypto's sources), and
// every call is recorded as a JSON line in FAKE_APT_CALLS. Unknown packages fail, as apt-get's do.
import { appendFileSync, chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const root = process.env.FAKE_ROOT;
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_APT_CALLS, `${JSON.stringify(args)}\n`);

const DIST_PACKAGES = "/usr/lib/python3/dist-packages";
// A python3 that imports jwt and cryptography only once both packages are there.
const PYTHON = `#!/bin/sh\nd="$(dirname "$0")/../lib/python3/dist-packages"\n[ -d "$d/jwt" ] && [ -d "$d/cryptography" ]\n`;
const FILES = {
  chromium: { "/usr/bin/chromium": "#!/bin/sh\n" },
  "python3-jwt": { "/usr/bin/python3": PYTHON, [`${DIST_PACKAGES}/jwt/__init__.py`]: "" },
  "python3-cryptography": { "/usr/bin/python3": PYTHON, [`${DIST_PACKAGES}/cryptography/__init__.py`]: "" },
  "golang-go": { "/usr/bin/go": "#!/bin/sh\n" },
  // With its dependency golang-golang-x-crypto-dev.
  "golang-gopkg-square-go-jose.v2-dev": {
    "/usr/share/gocode/src/gopkg.in/square/go-jose.v2/jose.go": "",
    "/usr/share/gocode/src/golang.org/x/crypto/ed25519/ed25519.go": "",
    "/usr/share/gocode/src/golang.org/x/crypto/pbkdf2/pbkdf2.go": "",
  },
};

if (args[0] === "update") process.exit(0);
if (args[0] !== "install") {
  console.error(`E: the stand-in apt-get does not know \`apt-get ${args.join(" ")}\``);
  process.exit(100);
}
const packages = args.slice(1).filter((arg) => !arg.startsWith("-"));
const unknown = packages.filter((name) => !FILES[name]);
if (unknown.length > 0) {
  console.error(`E: Unable to locate package ${unknown[0]}`);
  process.exit(100);
}
for (const name of packages) {
  for (const [path, text] of Object.entries(FILES[name])) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), 0o755);
  }
}

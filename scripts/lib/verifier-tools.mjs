// What the tests of verifier/python and verifier/go run with: a Python 3 that imports PyJWT and
// cryptography, and Go with go-jose v2 and the golang.org/x/crypto packages it imports, as
// sources in a GOPATH (built in GOPATH mode: no module proxy needed, as on Debian, whose packages
// put them in /usr/share/gocode).
import { delimiter, join } from "node:path";
import { exists, localMachine, run, which } from "./machine.mjs";

const PYTHON_IMPORTS = "import jwt, cryptography";
const GO_LIBRARIES = ["gopkg.in/square/go-jose.v2", "golang.org/x/crypto/ed25519", "golang.org/x/crypto/pbkdf2"];

/**
 * The Python to run: PYTHON alone when it is set; else Debian's /usr/bin/python3 on Linux (a
 * python3 earlier on PATH, such as a pyenv shim, may not see Debian's packages), then python3 on
 * PATH. `{ path }` for the first that imports jwt and cryptography, or `{ problem }`.
 */
export function findPython(machine = localMachine()) {
  const explicit = machine.env.PYTHON;
  const named = explicit && (explicit.startsWith("/") ? explicit : which(machine, explicit));
  const candidates = explicit
    ? [named].filter(Boolean)
    : [...new Set([machine.platform === "linux" ? "/usr/bin/python3" : undefined, which(machine, "python3")])];
  const path = candidates
    .filter((candidate) => candidate && exists(machine, candidate))
    .find((candidate) => run(machine, candidate, ["-c", PYTHON_IMPORTS]).status === 0);
  if (path) return { path };
  const tried = candidates.filter(Boolean).join(", ") || "no python3 on PATH";
  return {
    problem: explicit
      ? `PYTHON=${explicit}: cannot import jwt and cryptography`
      : `no Python 3 that imports jwt (PyJWT) and cryptography (tried ${tried})`,
  };
}

/** `go` on PATH: `{ path }` or `{ problem }`. */
export function findGo(machine = localMachine()) {
  const path = which(machine, "go");
  return path ? { path } : { problem: "no go on PATH" };
}

/** The GOPATH entries searched for the libraries: Debian's, then the user's (GOPATH, by default ~/go). */
export function goLibraryPaths(machine = localMachine()) {
  const own = machine.env.GOPATH ? machine.env.GOPATH.split(delimiter).filter(Boolean) : [join(machine.home, "go")];
  return [...new Set(["/usr/share/gocode", ...own])];
}

/** Whether every library the Go verifier imports is in one of those GOPATH entries: `{ gopath }` or `{ problem }`. */
export function findGoLibraries(machine = localMachine()) {
  const gopath = goLibraryPaths(machine);
  const missing = GO_LIBRARIES.filter((library) => !gopath.some((entry) => exists(machine, `${entry}/src/${library}`)));
  if (missing.length === 0) return { gopath };
  return { problem: `no ${missing.join(", ")} in a GOPATH (looked in ${gopath.join(", ")})` };
}

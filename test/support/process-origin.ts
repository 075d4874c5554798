import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { delimiter, resolve } from "node:path";
import { promisify } from "node:util";
import { goLibraryPaths } from "../../scripts/lib/verifier-tools.mjs";

const run = promisify(execFile);
const READY = /listening on (http:\/\/[^\s]+)/;

/** An origin running as a process of its own: its address, what it printed, and a way to stop it. */
export interface ProcessOrigin {
  url: string;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts `command` with `env` on top of this process's environment and resolves once it prints
 * "listening on http://HOST:PORT" (the example origins in verifier/ do, with PORT=0 a free port).
 */
export async function startProcessOrigin(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ProcessOrigin> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = once(child, "exit");
  const url = await new Promise<string>((resolveUrl, reject) => {
    const late = () => reject(new Error(`${command} did not start in ${timeoutMs} ms:\n${output}`));
    const timer = setTimeout(late, timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = READY.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolveUrl(ready[1]!);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** verifier/go, the GOPATH workspace of the Go verifier (built in GOPATH mode against go-jose's sources). */
export const GO_WORKSPACE = resolve(__dirname, "../../verifier/go");
/** Debian's /usr/share/gocode and the user's GOPATH, where go-jose is found (scripts/lib/verifier-tools.mjs). */
export const GO_ENV = { GO111MODULE: "off", GOPATH: [...goLibraryPaths(), GO_WORKSPACE].join(delimiter) };

/** Builds the Go example origin into `outputPath` (a binary, so that stopping it stops the server). */
export async function buildGoExampleOrigin(outputPath: string): Promise<void> {
  const env = { ...process.env, ...GO_ENV };
  await run("go", ["build", "-o", outputPath, "edgeauth/example-origin"], { cwd: GO_WORKSPACE, env });
}

import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";
import { promisify } from "node:util";

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

/** verifier/go, the GOPATH workspace of the Go verifier (built in GOPATH mode against Debian's go-jose). */
export const GO_WORKSPACE = resolve(__dirname, "../../verifier/go");
export const GO_ENV = { GO111MODULE: "off", GOPATH: `/usr/share/gocode:${GO_WORKSPACE}` };

/** Builds the Go example origin into `outputPath` (a binary, so that stopping it stops the server). */
export async function buildGoExampleOrigin(outputPath: string): Promise<void> {
  const env = { ...process.env, ...GO_ENV };
  await run("go", ["build", "-o", outputPath, "edgeauth/example-origin"], { cwd: GO_WORKSPACE, env });
}

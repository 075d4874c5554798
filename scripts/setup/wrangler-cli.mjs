// The wrangler commands setup runs, and how it reads their output (wrangler 4.86's formats).
// `wrangler` is the first one on PATH: `npm run setup` puts the project's own
// (node_modules/.bin) first; the project's is also appended as a last resort, for
// `node scripts/setup.mjs` run directly. A test or CI job can put a stand-in earlier on PATH.
import { spawn } from "node:child_process";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT_BIN = fileURLToPath(new URL("../../node_modules/.bin", import.meta.url));

/** Runs `wrangler ...args`, `input` on its stdin (never echoed); resolves with its exit code and output. */
export function wrangler(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn("wrangler", args, {
      env: {
        ...process.env,
        PATH: `${process.env.PATH ?? ""}${delimiter}${PROJECT_BIN}`,
        WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", (error) =>
      reject(new Error(`cannot run wrangler (${error.message}); run setup as \`npm run setup\``)),
    );
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** The command as shown to the operator; never includes a secret (those go on stdin). */
export const shown = (args) => `npx wrangler ${args.join(" ")}`;

/**
 * The Cloudflare account wrangler would use: `{ email, accounts }`, or `{ loggedOut: true }` when
 * wrangler has no login and no CLOUDFLARE_API_TOKEN. `whoami --json` changes nothing, and says
 * "not logged in" as `{"loggedIn":false}` with a non-zero exit.
 */
export async function whoami(flags) {
  const asked = await wrangler([
    "whoami",
    "--json",
    ...flags.filter((flag, i) => flag !== "--env" && flags[i - 1] !== "--env"),
  ]);
  let answer;
  try {
    answer = JSON.parse(asked.stdout.trim().split("\n").at(-1) ?? "");
  } catch {
    throw failure("whoami --json", asked);
  }
  if (answer?.loggedIn === false) return { loggedOut: true };
  if (asked.code !== 0 || answer?.loggedIn !== true) throw failure("whoami --json", asked);
  return { email: answer.email, accounts: answer.accounts ?? [] };
}

/**
 * Creates the SESSIONS namespace: { id, created }. wrangler prints a snippet to paste,
 * `[[kv_namespaces]]` with `id = "..."` (TOML, or JSON for a JSON config). When a namespace of
 * that title already exists (a run that stopped before writing the id), its id is looked up.
 */
export async function createSessionsNamespace(flags, env) {
  const created = await wrangler(["kv", "namespace", "create", "SESSIONS", ...flags]);
  const id = /\bid"?\s*[=:]\s*"([0-9a-f]{32})"/.exec(created.stdout)?.[1];
  if (created.code === 0 && id) return { id, created: true };
  if (!/already exists/.test(created.stdout + created.stderr)) throw failure("kv namespace create", created);
  // wrangler titles an environment's namespace "<env>-<name>".
  const title = `${env}-SESSIONS`;
  const listed = await wrangler([
    "kv",
    "namespace",
    "list",
    ...flags.filter((flag, i) => flag !== "--env" && flags[i - 1] !== "--env"),
  ]);
  if (listed.code !== 0) throw failure("kv namespace list", listed);
  const existing = JSON.parse(listed.stdout).find((namespace) => namespace.title === title);
  if (!existing) throw new Error(`wrangler says a KV namespace "${title}" exists but does not list it`);
  return { id: existing.id, created: false };
}

/** The names of the secrets the environment's Worker has; none when the Worker does not exist yet. */
export async function secretNames(flags) {
  const listed = await wrangler(["secret", "list", ...flags]);
  if (listed.code !== 0) {
    // A Worker that was never deployed: `secret put` creates it, with the first secret.
    if (/Worker ".*" (\(env: .*\) )?not found/.test(listed.stderr + listed.stdout)) return [];
    throw failure("secret list", listed);
  }
  return JSON.parse(listed.stdout).map((secret) => secret.name);
}

/** `wrangler secret put NAME`, the value on stdin: never on a command line, never in a file. */
export async function putSecret(name, value, flags) {
  const put = await wrangler(["secret", "put", name, ...flags], value);
  if (put.code !== 0) throw failure(`secret put ${name}`, put);
}

function failure(command, { code, stdout, stderr }) {
  return new Error(`\`wrangler ${command}\` failed (exit ${code}):\n${(stderr || stdout).trim()}`);
}

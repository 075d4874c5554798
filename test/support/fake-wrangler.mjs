#!/usr/bin/env node
// A stand-in for the `wrangler` CLI (4.86) for the commands `npm run setup` and `npm run deploy`
// run, with Cloudflare replaced by a JSON file. It records every call (arguments and the size of
// stdin, never its text) and answers with wrangler 4.86's own output: the lines below are copied
// from its source (whoami, kvNamespaceCreateCommand, createdResourceConfig, secretPutCommand,
// createDraftWorker, secretListCommand, kvNamespaceListCommand, printWranglerBanner, deploy).
// `deploy --dry-run` needs no account: it is the project's own wrangler, for a real bundle.
//   FAKE_WRANGLER_STATE  the JSON file standing for the account (namespaces, Workers' secrets,
//                        deployed Workers; `"loggedIn": false` for a machine never logged in)
//   FAKE_WRANGLER_CALLS  a file that gets one JSON line per call
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readFileSync(0, "utf8");
appendFileSync(process.env.FAKE_WRANGLER_CALLS, `${JSON.stringify({ args, stdinBytes: Buffer.byteLength(stdin) })}\n`);

const state = existsSync(process.env.FAKE_WRANGLER_STATE)
  ? JSON.parse(readFileSync(process.env.FAKE_WRANGLER_STATE, "utf8"))
  : { namespaces: [], workers: {} };
const save = () => writeFileSync(process.env.FAKE_WRANGLER_STATE, JSON.stringify(state, null, 2));
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const env = option("--env");
const configPath = option("--config") ?? "wrangler.toml";
// wrangler names an environment's Worker "<name>-<env>" (not service environments).
const scriptName = () => {
  const topName = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(configPath, "utf8"))?.[1];
  return env ? `${topName}-${env}` : topName;
};
const positional = args.filter((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));

const banner = () =>
  console.log("\n \u26C5\uFE0F wrangler 4.86.0\n" + "\u2500".repeat(" \u26C5\uFE0F wrangler 4.86.0".length));
function fail(message) {
  console.error(`\u2718 [ERROR] ${message}\n`);
  process.exit(1);
}

const command = positional.slice(0, 3).join(" ");
const ACCOUNT = { id: "0123456789abcdef0123456789abcdef", name: "Ada's Account" };
if (positional[0] === "whoami" && args.includes("--json")) {
  if (state.loggedIn === false) {
    console.log(JSON.stringify({ loggedIn: false }));
    process.exit(1);
  }
  const accounts = state.accounts ?? [ACCOUNT];
  console.log(JSON.stringify({ loggedIn: true, authType: "OAuth Token", email: "ada@example.com", accounts }));
} else if (positional[0] === "deploy" && args.includes("--dry-run")) {
  const real = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));
  const { status } = spawnSync(process.execPath, [real, ...args], { stdio: "inherit" });
  process.exit(status ?? 1);
} else if (state.loggedIn === false) {
  // What every command that needs the account says when wrangler is not logged in and cannot ask.
  fail(
    "In a non-interactive environment, it's necessary to set a CLOUDFLARE_API_TOKEN environment variable for wrangler to work. Please go to https://developers.cloudflare.com/fundamentals/api/get-started/create-token/ for instructions on how to create an api token, and assign its value to CLOUDFLARE_API_TOKEN.",
  );
} else if (positional[0] === "deploy") {
  banner();
  const name = scriptName();
  state.deployed = [...(state.deployed ?? []), name];
  save();
  console.log(`Uploaded ${name} (1.23 sec)`);
  console.log(`Deployed ${name} triggers (0.45 sec)`);
  console.log(`Current Version ID: ${randomBytes(16).toString("hex")}`);
} else if (command === "kv namespace create") {
  banner();
  const title = `${env ? `${env}-` : ""}${positional[3]}`;
  console.log("Resource location: remote \n");
  console.log(`\u{1F300} Creating namespace with title "${title}"`);
  if (state.namespaces.some((namespace) => namespace.title === title)) {
    fail(
      [
        `A KV namespace with the title "${title}" already exists.`,
        "",
        "  You can list existing namespaces with their IDs by running:",
        "    wrangler kv namespace list",
        "",
        "  Or choose a different namespace name.",
      ].join("\n"),
    );
  }
  const id = randomBytes(16).toString("hex");
  state.namespaces.push({ id, title, supports_url_encoding: true });
  save();
  console.log("\u2728 Success!");
  console.log(
    "To access your new KV Namespace in your Worker, add the following snippet to your configuration file" +
      `${env ? ` in the "${env}" environment` : ""}:`,
  );
  console.log(`[[kv_namespaces]]\nbinding = "${positional[3]}"\nid = "${id}"\n`);
} else if (command === "kv namespace list") {
  console.log(JSON.stringify(state.namespaces, null, "  "));
} else if (positional[0] === "secret" && positional[1] === "list") {
  const worker = state.workers[scriptName()];
  if (!worker) {
    fail(
      [
        `Worker "${scriptName()}"${env ? ` (env: ${env})` : ""} not found.`,
        "",
        "If this is a new Worker, run `wrangler deploy` first to create it.",
        "Otherwise, check that the Worker name is correct and you're logged into the right account.",
      ].join("\n"),
    );
  }
  console.log(
    JSON.stringify(
      Object.keys(worker.secrets).map((name) => ({ name, type: "secret_text" })),
      null,
      "  ",
    ),
  );
} else if (positional[0] === "secret" && positional[1] === "put") {
  banner();
  const value = stdin.replace(/\s+$/, "");
  const name = scriptName();
  console.log(`\u{1F300} Creating the secret for the Worker "${name}" `);
  if (!state.workers[name]) {
    console.log(`\u{1F300} Creating new Worker "${name}"...`);
    state.workers[name] = { secrets: {} };
  }
  state.workers[name].secrets[positional[2]] = value;
  save();
  console.log(`\u2728 Success! Uploaded secret ${positional[2]}`);
} else {
  fail(`the stand-in wrangler does not know \`wrangler ${args.join(" ")}\``);
}

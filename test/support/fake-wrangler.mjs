#!/usr/bin/env node
// A stand-in for the `wrangler` CLI (4.86) for the commands `npm run setup` runs, with Cloudflare
// replaced by a JSON file. It records every call (arguments and the size of stdin, never its
// text) and answers with wrangler 4.86's own output: the lines below are copied from its source
// (kvNamespaceCreateCommand, createdResourceConfig, secretPutCommand, createDraftWorker,
// secretListCommand, kvNamespaceListCommand, printWranglerBanner).
//   FAKE_WRANGLER_STATE  the JSON file standing for the account (namespaces, Workers' secrets)
//   FAKE_WRANGLER_CALLS  a file that gets one JSON line per call
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

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
const topName = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(configPath, "utf8"))?.[1];
// wrangler names an environment's Worker "<name>-<env>" (not service environments).
const scriptName = env ? `${topName}-${env}` : topName;
const positional = args.filter((arg, i) => !arg.startsWith("--") && !args[i - 1]?.startsWith("--"));

const banner = () =>
  console.log("\n \u26C5\uFE0F wrangler 4.86.0\n" + "\u2500".repeat(" \u26C5\uFE0F wrangler 4.86.0".length));
function fail(message) {
  console.error(`\u2718 [ERROR] ${message}\n`);
  process.exit(1);
}

const command = positional.slice(0, 3).join(" ");
if (command === "kv namespace create") {
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
  const worker = state.workers[scriptName];
  if (!worker) {
    fail(
      [
        `Worker "${scriptName}"${env ? ` (env: ${env})` : ""} not found.`,
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
  console.log(`\u{1F300} Creating the secret for the Worker "${scriptName}" `);
  if (!state.workers[scriptName]) {
    console.log(`\u{1F300} Creating new Worker "${scriptName}"...`);
    state.workers[scriptName] = { secrets: {} };
  }
  state.workers[scriptName].secrets[positional[2]] = value;
  save();
  console.log(`\u2728 Success! Uploaded secret ${positional[2]}`);
} else {
  fail(`the stand-in wrangler does not know \`wrangler ${args.join(" ")}\``);
}

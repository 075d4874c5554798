#!/usr/bin/env node
// Fails when types/worker-configuration.d.ts no longer matches wrangler.toml.
// It is not at the project root, where `wrangler dev` compares it with types it generates from
// .dev.vars too: the secrets are declared by name in src/secrets.d.ts instead, so any local
// .dev.vars made every `npm run dev` print "types might be out of date". This check is the one.
// `wrangler types --check` ignores --env-file (so it always sees the secrets as missing);
// instead regenerate in place and compare, restoring the committed file either way.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const FILE = "types/worker-configuration.d.ts";
const committed = readFileSync(FILE, "utf8");
try {
  execFileSync("npm", ["run", "--silent", "types"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const fresh = readFileSync(FILE, "utf8");
  if (fresh !== committed) {
    console.error(`${FILE} is out of date with wrangler.toml: run \`npm run types\` and commit the result.`);
    process.exitCode = 1;
  }
} finally {
  writeFileSync(FILE, committed);
}

#!/usr/bin/env node
// Fails when worker-configuration.d.ts no longer matches wrangler.toml.
// `wrangler types --check` ignores --env-file (so it always sees the secrets as missing);
// instead regenerate in place and compare, restoring the committed file either way.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const FILE = "worker-configuration.d.ts";
const committed = readFileSync(FILE, "utf8");
try {
  execFileSync("npm", ["run", "--silent", "types"], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const fresh = readFileSync(FILE, "utf8");
  if (fresh !== committed) {
    console.error(`${FILE} is out of date with wrangler.toml: run \`npm run types\` and commit the result.`);
    process.exitCode = 1;
  }
} finally {
  writeFileSync(FILE, committed);
}

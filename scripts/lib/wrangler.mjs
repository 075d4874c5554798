// Wrangler's programmatic API for the commands, the demo and the tests, loaded on first use.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * Wrangler's API (`unstable_readConfig`, `unstable_startWorker`, ...). Loaded with require(), not
 * import(): wrangler is one CommonJS file of about 10 MB, and import() first has Node scan all of
 * it for the names it exports (cjs-module-lexer), about a second of CPU per process on this
 * project's machines, which require() skips. Either way a process holds one instance of it.
 *
 * @returns {typeof import("wrangler")}
 */
export function loadWrangler() {
  return require("wrangler");
}

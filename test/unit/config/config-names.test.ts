import { describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { CONFIG_NAMES } from "../../../src/config/load-config";
import { parseConfig } from "../../../src/config/parse-config";

/** Bindings the parser looks at for their shape, not configuration values. */
const BINDINGS = ["SESSIONS", "SESSION_FAMILIES", "ORIGIN", "AUTH_METRICS"];

/**
 * `npm run check` reports every name outside CONFIG_NAMES as one the worker does not read: the
 * list must be exactly what the parser reads, or a real setting would be called a typo.
 */
describe("CONFIG_NAMES", () => {
  it("is every name the configuration parser reads, and nothing else", async () => {
    const read = new Set<string>();
    for (const [store, keyRotation] of [
      ["kv", "manual"],
      ["durable-object", "auto"],
    ]) {
      const env = new Proxy({ SESSION_STORE: store, KEY_ROTATION: keyRotation } as Record<string, unknown>, {
        get(target, name) {
          if (typeof name === "string") read.add(name);
          return target[name as string];
        },
      });
      await parseConfig(env as unknown as Env);
    }
    expect([...read].filter((name) => !BINDINGS.includes(name)).sort()).toEqual([...CONFIG_NAMES].sort());
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig, loadedConfig, preloadConfig } from "../../../src/config/load-config";
import type { Env } from "../../../src/env";
import { callWith, testEnv } from "../../support/workerd/helpers";

afterEach(() => vi.restoreAllMocks());

/** Bindings no other test parses: the caches are the isolate's, shared by every file. */
const unseen = (overrides: Partial<Record<keyof Env, unknown>> = {}) =>
  ({ ...testEnv, ORIGIN_AUDIENCE: `https://${crypto.randomUUID()}.origin.test`, ...overrides }) as Env;

describe("the configuration parsed while the isolate starts", () => {
  it("is ready for the first request: no parse, no wait", async () => {
    const env = unseen();
    expect(loadedConfig(env)).toBeUndefined();
    const config = await preloadConfig(env);
    expect(config?.originAudience).toBe(env.ORIGIN_AUDIENCE);
    // What a request on the same env object reads before it would await anything.
    expect(loadedConfig(env)).toEqual({ ok: true, config });
    // Another env object with the same values (as workerd may hand a request) gets the same parse.
    expect(await loadConfig({ ...env })).toEqual({ ok: true, config });
    expect(((await loadConfig({ ...env })) as { config: unknown }).config).toBe(config);
  });

  it("keeps nothing of an invalid configuration: the first request finds its problems and reports them", async () => {
    const overrides = { ORIGIN_URL: "ftp://origin.test", ORIGIN_AUDIENCE: `https://${crypto.randomUUID()}.test` };
    const env = unseen(overrides);
    expect(await preloadConfig(env)).toBeUndefined();
    expect(loadedConfig(env)).toBeUndefined();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await callWith(overrides, "/page");
    expect(response.status).toBe(500);
    const lines = logged.mock.calls.map(([line]) => JSON.parse(String(line)) as { event: string; problems: string });
    expect(lines).toContainEqual(expect.objectContaining({ event: "config_invalid" }));
    expect(lines.find((line) => line.event === "config_invalid")!.problems).toMatch(/ORIGIN_URL/);
  });
});

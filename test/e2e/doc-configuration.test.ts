import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWrangler } from "../../scripts/lib/wrangler.mjs";

const { experimental_readRawConfig } = loadWrangler();

/** docs/configuration.md is the one list of settings: every name the worker reads has a row there. */
const ROOT = join(__dirname, "../..");
const page = readFileSync(join(ROOT, "docs/configuration.md"), "utf8");
const rows = new Set([...page.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]!));

type Table = {
  vars?: Record<string, unknown>;
  kv_namespaces?: { binding: string }[];
  durable_objects?: { bindings?: { name: string }[] };
  ratelimits?: { name: string }[];
  analytics_engine_datasets?: { binding: string }[];
  services?: { binding: string }[];
};

function namesOf(table: Table): string[] {
  return [
    ...Object.keys(table.vars ?? {}),
    ...(table.kv_namespaces ?? []).map((kv) => kv.binding),
    ...(table.durable_objects?.bindings ?? []).map((object) => object.name),
    ...(table.ratelimits ?? []).map((limit) => limit.name),
    ...(table.analytics_engine_datasets ?? []).map((dataset) => dataset.binding),
    ...(table.services ?? []).map((service) => service.binding),
  ];
}

describe("docs/configuration.md", () => {
  it("has a row for every var and binding of wrangler.toml, in every environment, and every secret", () => {
    const { rawConfig } = experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") });
    const raw = rawConfig as Table & { env?: Record<string, Table> };
    const secrets = [
      ...readFileSync(join(ROOT, "src/secrets.d.ts"), "utf8").matchAll(/^\s+([A-Z_]+)\??: string;/gm),
    ].map((match) => match[1]!);
    const names = new Set([...namesOf(raw), ...Object.values(raw.env ?? {}).flatMap(namesOf), ...secrets]);
    // The ones whose rows were missing once, and the three secrets, are among them.
    expect([...names]).toEqual(
      expect.arrayContaining([
        "AUTH_RATE_LIMIT",
        "AUTH_METRICS",
        "ORIGIN",
        "SESSION_FAMILIES",
        "OIDC_CLIENT_SECRET",
        "SESSION_KEYS",
        "GOOGLE_GROUPS_CREDENTIALS",
      ]),
    );
    expect([...names].filter((name) => !rows.has(name))).toEqual([]);
  });
});

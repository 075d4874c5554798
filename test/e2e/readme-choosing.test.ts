import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freeCapacity, paidCapacity, readStoreOps, settingsFrom, usagePerPersonDay } from "../../scripts/capacity.mjs";

/**
 * The README's "Choosing" section states what each plan carries at the default settings: the
 * same figures `npm run check` prints (scripts/capacity.mjs), so a change to the stores' costs
 * that moves them fails here until the README says the new ones.
 */
const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
const choosing = /^## Choosing\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";

function usageOf(store: "kv" | "durable-object") {
  return usagePerPersonDay(readStoreOps(), { ...settingsFrom({}), store }).usage;
}

describe("README, Choosing", () => {
  it("states the capacity npm run check computes for the default settings", () => {
    const text = choosing.replace(/\s+/g, " ");
    const kvFree = freeCapacity(usageOf("kv")).people;
    const durableObjectFree = freeCapacity(usageOf("durable-object")).people;
    const paid = paidCapacity(usageOf("kv")).includedPeople;
    expect(text).toContain(
      `on the Workers Free plan the default KV store carries about ${kvFree} active people a day, the Durable Object store about ${durableObjectFree};`,
    );
    expect(text).toContain(`Workers Paid ($5 a month) about ${paid} a day within its included amounts`);
  });
});

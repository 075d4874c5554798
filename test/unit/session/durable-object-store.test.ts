import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createDurableObjectSessionStore } from "../../../src/session/durable-object-store";
import type { SessionFamilies } from "../../../src/session/session-families";
import { sha256 } from "../../../src/util/hash";

/** What the Durable Object store promises beyond the shared suite: no storage it does not need. */
const namespace = (env as unknown as { SESSION_FAMILIES: DurableObjectNamespace<SessionFamilies> }).SESSION_FAMILIES;
const store = createDurableObjectSessionStore(namespace);
const objectOf = async (sub: string) => namespace.get(namespace.idFromName(await sha256(sub)));
const tables = (stub: DurableObjectStub<SessionFamilies>) =>
  runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((row) => row.name),
  );

/** Runs the object's alarm as it would fire at `nowMs`. */
async function alarmAt(stub: DurableObjectStub<SessionFamilies>, nowMs: number) {
  vi.useFakeTimers({ toFake: ["Date"], now: nowMs });
  try {
    await runInDurableObject(stub, (instance) => instance.alarm());
  } finally {
    vi.useRealTimers();
  }
}

describe("the Durable Object session store", () => {
  it("answers a forged credential naming a person with no sessions without creating any storage", async () => {
    const sub = `nobody-${Date.now()}`;
    const forged = `${await sha256(sub)}.${"A".repeat(22)}.${"B".repeat(43)}`;
    await expect(store.rotate(forged, Date.now(), 30)).rejects.toMatchObject({ code: "ERR_REFRESH_INVALID" });
    expect(await store.peek(forged, Date.now())).toBeUndefined();
    expect(await tables(await objectOf(sub))).toEqual([]);
  });

  it("deletes a person's data once their last session has expired", async () => {
    const sub = `leaving-${Date.now()}`;
    await store.create({ provider: "default", sub, email: "leaving@example.com" }, Date.now(), 60);
    const stub = await objectOf(sub);
    expect(await tables(stub)).toContain("families");
    await alarmAt(stub, Date.now() + 120_000);
    expect(await tables(stub)).toEqual([]);
  });

  it("clears the mark of a person signed out everywhere who had no session, once a sign-in under way has landed", async () => {
    // A security event about an account that never signed in here still leaves its mark (a
    // sign-in already under way must not escape it), but nothing may keep it for ever.
    const sub = `never-signed-in-${Date.now()}`;
    const now = Date.now();
    await store.revokeUser(sub, now, now, "risc");
    const stub = await objectOf(sub);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
    await alarmAt(stub, now + 120_000);
    expect(await tables(stub)).toEqual([]);
  });

  it("keeps a person's data while a session is live, and checks again when it ends", async () => {
    const sub = `staying-${Date.now()}`;
    const issued = await store.create({ provider: "default", sub, email: "staying@example.com" }, Date.now(), 3600);
    const stub = await objectOf(sub);
    await runInDurableObject(stub, (instance) => instance.alarm());
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBe(issued.expiresAtMs);
    expect(await store.isActive(issued, Date.now())).toBe(true);
  });
});

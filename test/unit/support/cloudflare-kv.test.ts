import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type CloudflareKvOptions, createCloudflareKv } from "../../support/cloudflare-kv";

const START = Date.UTC(2040, 0, 1); // The test clock runs years ahead of real time.
let worlds = 0;

/** A model over the real binding, seen through a spy that records each call reaching storage. */
function world(options: Partial<CloudflareKvOptions> = {}) {
  const clock = { now: START };
  const calls: string[] = [];
  const spy = new Proxy(env.SESSIONS, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => (calls.push(String(name)), member.apply(target, args));
    },
  });
  const model = createCloudflareKv(spy, { clock: () => clock.now, ...options });
  const prefix = `w${++worlds}:`;
  return {
    model,
    clock,
    calls,
    prefix,
    key: (name: string) => prefix + name,
    at: (location?: string): KVNamespace => model.binding(location),
  };
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: Error) => error.message,
  );

describe("miniflare's own binding", () => {
  it("serves bulk get([...]) on this version, so the model delegates to it", async () => {
    await env.SESSIONS.put("probe:a", "1");
    expect(await env.SESSIONS.get(["probe:a", "probe:b"])).toEqual(
      new Map([
        ["probe:a", "1"],
        ["probe:b", null],
      ]),
    );
  });
});

describe("Cloudflare KV model", () => {
  it("rule 1: one write per key per second, across locations; a faster one is a 429 and writes nothing", async () => {
    const { clock, key, at, model } = world();
    await at("here").put(key("a"), "1");
    clock.now += 999;
    expect(await rejection(at("there").put(key("a"), "2"))).toBe("KV PUT failed: 429 Too Many Requests");
    expect(await rejection(at("here").delete(key("a")))).toBe("KV DELETE failed: 429 Too Many Requests");
    await at("here").put(key("b"), "other keys are not limited");
    expect(await env.SESSIONS.get(key("a"))).toBe("1");
    clock.now += 1;
    await at("there").put(key("a"), "2");
    expect(await env.SESSIONS.get(key("a"))).toBe("2");
    expect(model.stats().writesByKey.get(key("a"))).toBe(2);
  });

  it("rule 2: own writes show at once, another location's only after lagMs (until then the previous value)", async () => {
    const { clock, key, at } = world({ cacheTtlMs: 0 });
    await at("here").put(key("a"), "v1");
    expect(await at("here").get(key("a"))).toBe("v1");
    clock.now += 1000;
    await at("here").put(key("a"), "v2");
    clock.now += 58_999; // v1 is 59.999 s old
    expect(await at("there").get(key("a"))).toBeNull();
    clock.now += 1;
    expect(await at("there").get(key("a"))).toBe("v1");
    await at("there").put(key("a"), "mine");
    expect(await at("there").get(key("a"))).toBe("mine");
    expect(await at("here").get(key("a"))).toBe("v2");
    clock.now += 60_000;
    await at("elsewhere").delete(key("a"));
    expect(await at("here").get(key("a"))).toBe("mine");
    clock.now += 60_000;
    expect(await at("here").get(key("a"))).toBeNull();
  });

  it("rule 3: a location keeps serving what it read, a miss too, for cacheTtlMs; its own write replaces it", async () => {
    const { clock, key, at } = world({ lagMs: 0 });
    expect(await at("there").get(key("a"))).toBeNull();
    await at("here").put(key("a"), "v1");
    clock.now += 59_999;
    expect(await at("there").get(key("a"))).toBeNull();
    clock.now += 1; // the miss, read at START, is 60 s old
    expect(await at("there").get(key("a"), { cacheTtl: 300 })).toBe("v1");
    await at("here").put(key("a"), "v2");
    clock.now += 299_999;
    expect(await at("there").get(key("a"))).toBe("v1");
    clock.now += 1;
    expect(await at("there").get(key("a"))).toBe("v2");
    await at("there").put(key("a"), "mine");
    expect(await at("there").get(key("a"))).toBe("mine");
    expect(await rejection(at("there").get(key("a"), { cacheTtl: 29 }))).toBe(
      "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30.",
    );
  });

  it("rule 4: list shows only the keys visible at the location, pages by limit (at most 1000) and cursor", async () => {
    const { clock, prefix, key, at } = world();
    for (const name of ["a", "b", "c"]) await at("here").put(key(name), name, { metadata: { name } });
    const names = async (location: string) => (await at(location).list({ prefix })).keys.map((k) => k.name);
    expect(await names("here")).toEqual([key("a"), key("b"), key("c")]);
    expect(await names("there")).toEqual([]);
    clock.now += 60_000;
    const first = await at("there").list({ prefix, limit: 2 });
    expect(first.keys).toEqual([
      { name: key("a"), metadata: { name: "a" } },
      { name: key("b"), metadata: { name: "b" } },
    ]);
    if (first.list_complete) throw new Error("expected a second page");
    expect(await at("there").list({ prefix, limit: 2, cursor: first.cursor })).toMatchObject({
      keys: [{ name: key("c") }],
      list_complete: true,
    });
    await at("here").delete(key("b"));
    expect(await names("here")).toEqual([key("a"), key("c")]);
    expect(await names("there")).toEqual([key("a"), key("b"), key("c")]);
    expect(await rejection(at().list({ prefix, limit: 1001 }))).toMatch(/^KV LIST failed: 400/);
  });

  it("rule 5: 1,000 operations per invocation, a bulk get counting once; a new invocation starts afresh", async () => {
    const { key, at } = world();
    const invocation = at();
    const keys = Array.from({ length: 100 }, (_, i) => key(String(i)));
    for (let i = 0; i < 999; i++) await invocation.get(key("a"));
    expect((await invocation.get(keys)).size).toBe(100);
    expect(await rejection(invocation.get(key("a")))).toBe("Too many API requests by single worker invocation.");
    expect(await rejection(invocation.put(key("a"), "1"))).toBe("Too many API requests by single worker invocation.");
    expect(await at().get(key("a"))).toBeNull();
    expect(await rejection(at().get([...keys, key("x")]))).toMatch(/^KV GET_BULK failed: 400/);
  });

  it("rule 6: key, value and metadata sizes and expirations are checked before storage is touched", async () => {
    const { clock, key, at, calls } = world();
    const kv = at();
    const longKey = key("é".repeat(256)); // 256 characters, over 512 bytes
    const bytes = new TextEncoder().encode(longKey).byteLength;
    expect(await rejection(kv.get(longKey))).toBe(
      `KV GET failed: 414 UTF-8 encoded length of ${bytes} exceeds key length limit of 512.`,
    );
    expect(await rejection(kv.put(longKey, "v"))).toMatch(/^KV PUT failed: 414/);
    expect(await rejection(kv.delete(""))).toBe("Key name cannot be empty.");
    expect(await rejection(kv.put(key("v"), "x".repeat(25 * 1024 * 1024 + 1)))).toMatch(
      /^KV PUT failed: 413 Value length/,
    );
    expect(await rejection(kv.put(key("m"), "v", { metadata: "x".repeat(1023) }))).toMatch(
      /^KV PUT failed: 413 Metadata length of 1025/,
    );
    expect(await rejection(kv.put(key("t"), "v", { expirationTtl: 59 }))).toBe(
      "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60.",
    );
    expect(await rejection(kv.put(key("e"), "v", { expiration: clock.now / 1000 + 59 }))).toMatch(
      /^KV PUT failed: 400 Invalid expiration of/,
    );
    expect(calls).toEqual([]);
    await kv.put(key("x".repeat(512 - key("").length)), "v", { metadata: "x".repeat(1022), expirationTtl: 60 });
    await kv.put(key("e"), "v", { expiration: clock.now / 1000 + 60 });
  });

  it("rule 7: in an outage every operation everywhere rejects without touching storage", async () => {
    const { key, at, calls, model } = world();
    const kv = at();
    model.setOutage(true);
    expect(await rejection(kv.get(key("a")))).toBe("KV GET failed: 503 Service Unavailable");
    expect(await rejection(at("there").get([key("a")]))).toBe("KV GET failed: 503 Service Unavailable");
    expect(await rejection(kv.put(key("a"), "1"))).toBe("KV PUT failed: 503 Service Unavailable");
    expect(await rejection(kv.delete(key("a")))).toBe("KV DELETE failed: 503 Service Unavailable");
    expect(await rejection(kv.list())).toBe("KV LIST failed: 503 Service Unavailable");
    expect(calls).toEqual([]);
    model.setOutage(false);
    await kv.put(key("a"), "1");
    expect(await kv.get(key("a"))).toBe("1");
  });

  it("rule 9: past a daily quota (Free plan) that kind of operation fails for the day, other kinds go on; 00:00 UTC resets it", async () => {
    const { clock, key, at, calls, model } = world({ dailyLimits: { reads: 3, writes: 2, deletes: 1, lists: 1 } });
    clock.now += 23 * 3_600_000; // 23:00 UTC: the quota is per UTC day, not per 24 hours of use.
    await at().put(key("a"), "1");
    await at("there").put(key("b"), "2"); // Counted for the account, whatever the location.
    const before = calls.length;
    expect(await rejection(at().put(key("c"), "3"))).toBe("KV put() limit exceeded for the day.");
    expect(calls.length).toBe(before); // Refused before storage is touched, and not charged.
    clock.now += 60_000; // Both writes visible everywhere.
    const both = new Map([
      [key("a"), "1"],
      [key("b"), "2"],
    ]);
    expect(await at("there").get([key("a"), key("b")])).toEqual(both); // Billed per key.
    expect(await rejection(at().get([key("a"), key("b")]))).toBe("KV get() limit exceeded for the day.");
    expect(await at().get(key("a"))).toBe("1"); // The refused bulk read was not charged.
    expect(await rejection(at().get(key("a")))).toBe("KV get() limit exceeded for the day.");
    await at().delete(key("a"));
    expect(await rejection(at().delete(key("b")))).toBe("KV delete() limit exceeded for the day.");
    await at().list({ prefix: key("") });
    expect(await rejection(at().list({ prefix: key("") }))).toBe("KV list() limit exceeded for the day.");
    expect(model.today()).toEqual({ reads: 3, writes: 2, deletes: 1, lists: 1 });
    // Not an outage: the message has no status, and the quota is not the outage switch.
    clock.now += 3_600_000 - 60_001;
    expect(await rejection(at().put(key("c"), "3"))).toBe("KV put() limit exceeded for the day.");
    clock.now += 1; // 00:00 UTC
    expect(model.today()).toEqual({ reads: 0, writes: 0, deletes: 0, lists: 0 });
    await at().put(key("c"), "3");
    expect(await at().get(key("c"))).toBe("3");
  });

  it("rule 8: expirations reach the binding, and values read as null once the test clock passes them", async () => {
    const { clock, prefix, key, at } = world();
    await at("here").put(key("ttl"), "v", { expirationTtl: 60 });
    await at("here").put(key("abs"), "v", { expiration: clock.now / 1000 + 120 });
    const real = await env.SESSIONS.list({ prefix });
    expect(real.keys.map((k) => k.expiration !== undefined)).toEqual([true, true]);
    clock.now += 59_999;
    expect(await at("there").get(key("ttl"))).toBeNull(); // not there yet (lag)
    expect(await at("here").get(key("ttl"))).toBe("v");
    clock.now += 1;
    expect(await at("here").get(key("ttl"))).toBeNull(); // a cached hit expires too
    expect(await env.SESSIONS.get(key("ttl"))).toBe("v"); // real time has not moved
    expect((await at("there").list({ prefix })).keys).toEqual([{ name: key("abs"), expiration: START / 1000 + 120 }]);
    clock.now += 60_000;
    expect(await at("there").get([key("ttl"), key("abs")])).toEqual(
      new Map([
        [key("ttl"), null],
        [key("abs"), null],
      ]),
    );
  });

  it("values keep their bytes, type and metadata, from a location's own cache and from the binding", async () => {
    const { clock, key, at } = world();
    await at().put(key("bin"), new Uint8Array([0xff, 0, 1]));
    await at().put(key("s"), new Response("streamed").body!, { metadata: { m: 1 } });
    expect(new Uint8Array((await at().get(key("bin"), "arrayBuffer"))!)).toEqual(new Uint8Array([0xff, 0, 1]));
    expect(await new Response(await at().get(key("s"), "stream")).text()).toBe("streamed");
    expect(await at("there").getWithMetadata(key("s"))).toMatchObject({ value: null, metadata: null });
    clock.now += 60_000;
    expect(await at("there").getWithMetadata(key("s"))).toMatchObject({ value: "streamed", metadata: { m: 1 } });
    expect(new Uint8Array((await at("there").get(key("bin"), { type: "arrayBuffer" }))!)).toEqual(
      new Uint8Array([0xff, 0, 1]),
    );
  });

  it("bulk get applies lag and caches per key, delegates uncached keys in one call; stats count per key", async () => {
    const { clock, key, at, calls, model } = world();
    await at("here").put(key("a"), JSON.stringify({ n: 1 }));
    await at("there").put(key("b"), JSON.stringify({ n: 2 }));
    await env.SESSIONS.put(key("d"), JSON.stringify({ n: 4 })); // written before the model saw anything
    calls.length = 0;
    const all = [key("a"), key("b"), key("c"), key("d")];
    expect(await at("there").get(all, "json")).toEqual(
      new Map([
        [key("a"), null],
        [key("b"), { n: 2 }],
        [key("c"), null],
        [key("d"), { n: 4 }],
      ]),
    );
    expect(calls).toEqual(["getWithMetadata"]); // c and d in one bulk call; a is lagged, b cached by its own write
    expect(await rejection(at().get([key("a")], "arrayBuffer" as "text"))).toMatch(/^KV GET_BULK failed: 400/);
    clock.now += 60_000;
    expect((await at("elsewhere").getWithMetadata(key("a"))).value).toBe('{"n":1}');
    expect(model.stats()).toEqual({
      reads: 5,
      writes: 2,
      writesByKey: new Map([
        [key("a"), 1],
        [key("b"), 1],
      ]),
    });
  });
});

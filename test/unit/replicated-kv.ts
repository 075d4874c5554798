import type { SessionKv } from "../../src/session/refresh-store";

/**
 * Workers KV as two Cloudflare locations see it: one real KV binding (miniflare's) underneath,
 * and per-location views. A location sees its own writes at once and other locations' writes
 * only `lagMs` after they were made (KV's documented worst case is about 60 s); until then it
 * reads the value from before. The clock is the test's, so lag is exact and nothing sleeps.
 */
export function createReplicatedKv(kv: KVNamespace, clock: () => number) {
  const writes: { key: string; previous: string | null; at: number; by: string }[] = [];

  function location(name: string, lagMs: number): SessionKv {
    return {
      async get(key) {
        const unseen = writes.filter((w) => w.key === key && w.by !== name && clock() - w.at < lagMs);
        if (unseen.length > 0) return unseen[0]!.previous;
        return kv.get(key);
      },
      async put(key, value, options) {
        writes.push({ key, previous: await kv.get(key), at: clock(), by: name });
        await kv.put(key, value, options);
      },
      async list(options) {
        const result = await kv.list(options);
        const unseen = new Set(writes.filter((w) => w.by !== name && clock() - w.at < lagMs && w.previous === null).map((w) => w.key));
        return { keys: result.keys.filter((key) => !unseen.has(key.name)), list_complete: result.list_complete, cursor: result.list_complete ? undefined : result.cursor };
      },
    };
  }
  return { location };
}

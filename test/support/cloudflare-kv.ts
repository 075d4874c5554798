/**
 * Workers KV as production behaves, not as miniflare runs it. Values, metadata and expirations
 * live in a real KV binding (miniflare's); this model only adds production's rules on top, each
 * cited from developers.cloudflare.com/kv ("Limits", "How KV works", "Read/Write key-value
 * pairs", "List keys"). It keeps a log of writes (with the state each one replaced), to know what
 * a lagging location still sees, and each location's read cache. The clock is the test's:
 * nothing here reads Date.now() or sleeps.
 */
// Imported rather than global: tsconfig.node.json also checks test/support/ without Workers globals.
import type { KVNamespace, KVNamespaceListKey, KVNamespaceListOptions } from "@cloudflare/workers-types/latest";

export interface CloudflareKvOptions {
  /** The test's clock, ms since epoch. Nothing in the model reads Date.now() or sleeps. */
  clock: () => number;
  /** How long another location's write stays invisible, ms. Default 60_000 (KV's documented worst case). */
  lagMs?: number;
  /** How long a location keeps serving a value (or a miss) it has read, ms. Default 60_000 (KV's default cacheTtl). */
  cacheTtlMs?: number;
  /**
   * Operations allowed per UTC day (by the model's clock), per kind; past one, that kind fails
   * until 00:00 UTC. Default: none (Workers Paid). FREE_PLAN_DAILY_LIMITS is the Free plan.
   */
  dailyLimits?: Partial<DailyLimits>;
}
export interface DailyLimits {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
}
/**
 * Workers Free (Limits; Pricing: "Free plan ... 100,000 reads/day, 1,000 writes/day, 1,000
 * deletes/day, 1,000 lists/day", each reset at 00:00 UTC).
 * @see https://developers.cloudflare.com/kv/platform/pricing/
 */
export const FREE_PLAN_DAILY_LIMITS: DailyLimits = { reads: 100_000, writes: 1_000, deletes: 1_000, lists: 1_000 };
export interface CloudflareKv {
  /** A binding as one Worker invocation at `location` sees it (default "here"); each call is a new invocation. */
  binding(location?: string): KVNamespace;
  /** Outage mode: while on, every operation at every location rejects without touching storage. */
  setOutage(on: boolean): void;
  /** Counters for assertions: writes (put+delete) and reads (get/list) so far, in total and per key. */
  stats(): { reads: number; writes: number; writesByKey: Map<string, number> };
  /** Operations of each kind charged to the current UTC day (the model's clock), refused ones not included. */
  today(): DailyLimits;
}

/** A key as some location sees it: bytes null = absent; expiresAt in ms, null = none known. */
type State = { bytes: Uint8Array | null; metadata: unknown; expiresAt: number | null };
type Value = string | ArrayBuffer | ArrayBufferView | ReadableStream;
type Options = { expiration?: number; expirationTtl?: number; metadata?: unknown };

const MAX_OPS = 1000,
  MAX_KEY = 512,
  MAX_VALUE = 25 * 1024 * 1024,
  MAX_METADATA = 1024;
const MIN_TTL = 60,
  MIN_CACHE_TTL = 30,
  MAX_BULK = 100,
  MAX_LIST = 1000,
  WRITE_INTERVAL_MS = 1000;
const encoder = new TextEncoder();
const absent: State = { bytes: null, metadata: null, expiresAt: null };
const fail = (op: string, status: string) => new Error(`KV ${op} failed: ${status}`);
const DAY_MS = 86_400_000;
/** The daily quota's refusal, as the runtime throws it (no status: it is not an HTTP failure). */
const NAME_BY_KIND: Record<keyof DailyLimits, string> = {
  reads: "get",
  writes: "put",
  deletes: "delete",
  lists: "list",
};
const overQuota = (kind: keyof DailyLimits) => new Error(`KV ${NAME_BY_KIND[kind]}() limit exceeded for the day.`);

function checkKey(op: string, key: string) {
  if (key === "") throw new TypeError("Key name cannot be empty.");
  if (key === "." || key === "..") throw new TypeError(`"${key}" is not allowed as a key name.`);
  // Limits: "Key size: 512 bytes" (UTF-8).
  const length = encoder.encode(key).byteLength;
  if (length > MAX_KEY) throw fail(op, `414 UTF-8 encoded length of ${length} exceeds key length limit of ${MAX_KEY}.`);
}

/** Write key-value pairs: "expirationTtl ... at least 60 seconds", "expiration ... at least 60 seconds in the future". */
function expiryOf({ expirationTtl: ttl, expiration }: Options, now: number): number | null {
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= MIN_TTL))
    throw fail("PUT", `400 Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${MIN_TTL}.`);
  if (expiration !== undefined && !(Number.isInteger(expiration) && expiration * 1000 >= now + MIN_TTL * 1000))
    throw fail(
      "PUT",
      `400 Invalid expiration of ${expiration}. Expiration times must be at least ${MIN_TTL} seconds in the future.`,
    );
  const end = Math.min(
    ttl === undefined ? Infinity : now + ttl * 1000,
    expiration === undefined ? Infinity : expiration * 1000,
  );
  return end === Infinity ? null : end;
}

async function toBytes(value: Value): Promise<Uint8Array> {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  return new Uint8Array(await new Response(value).arrayBuffer());
}

function decode(bytes: Uint8Array | null, type: string): unknown {
  if (bytes === null) return null;
  if (type === "arrayBuffer") return bytes.slice().buffer;
  if (type === "stream") return new Response(bytes.slice()).body;
  const text = new TextDecoder().decode(bytes);
  return type === "json" ? JSON.parse(text) : text;
}

/** The model's own list cursor: the last key name returned, encoded. */
function cursorKey(cursor: string | null | undefined): string {
  try {
    return cursor ? decodeURIComponent(atob(cursor)) : "";
  } catch {
    throw fail("LIST", "400 Invalid cursor");
  }
}

/** List keys: keys come back in lexicographic order of their UTF-8 bytes. */
function bytewise(a: string, b: string): number {
  const x = encoder.encode(a),
    y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function createCloudflareKv(kv: KVNamespace, options: CloudflareKvOptions): CloudflareKv {
  const { clock, lagMs = 60_000, cacheTtlMs = 60_000 } = options;
  const log = new Map<string, { at: number; by: string; before: State; expiresAt: number | null }[]>();
  const lastWriteAt = new Map<string, number>();
  const queues = new Map<string, Promise<unknown>>();
  const caches = new Map<string, Map<string, { state: State; until: number }>>();
  const counts = { reads: 0, writes: 0, writesByKey: new Map<string, number>() };
  let outage = false;
  const limits = options.dailyLimits ?? {};
  let day = -1,
    used: DailyLimits = { reads: 0, writes: 0, deletes: 0, lists: 0 };
  /** Charges `n` operations of `kind` to today's quota, or refuses them all (a bulk read is n reads). */
  function charge(kind: keyof DailyLimits, n = 1) {
    const today = Math.floor(clock() / DAY_MS);
    if (today !== day) [day, used] = [today, { reads: 0, writes: 0, deletes: 0, lists: 0 }];
    if (used[kind] + n > (limits[kind] ?? Infinity)) throw overQuota(kind);
    used[kind] += n;
  }

  const cacheAt = (location: string) => caches.get(location) ?? caches.set(location, new Map()).get(location)!;
  const live = (state: State, now: number) => (state.expiresAt !== null && now >= state.expiresAt ? absent : state);
  const lastExpiry = (key: string) => log.get(key)?.at(-1)?.expiresAt ?? null;
  const snapshot = (key: string, value: ArrayBuffer | string | null, metadata: unknown): State => {
    const bytes = value === null ? null : typeof value === "string" ? encoder.encode(value) : new Uint8Array(value);
    return { bytes, metadata, expiresAt: lastExpiry(key) };
  };

  /** How KV works: a write is visible at once where it was made, elsewhere up to ~60 s later. Undefined: the binding's current state. */
  function lagged(location: string, key: string, now: number): State | undefined {
    const writes = log.get(key) ?? [];
    let seen = writes.length - 1;
    while (seen >= 0 && writes[seen]!.by !== location && now - writes[seen]!.at < lagMs) seen--;
    return writes[seen + 1]?.before;
  }

  /** How KV works: a location serves what it read, a miss too, for cacheTtl (default 60 s; Limits: at least 30 s). */
  async function read(location: string, keys: string[], cacheTtl: number | undefined, bulk: boolean): Promise<State[]> {
    if (cacheTtl !== undefined && !(cacheTtl >= MIN_CACHE_TTL))
      throw fail("GET", `400 Invalid cache_ttl of ${cacheTtl}. Cache TTL must be at least ${MIN_CACHE_TTL}.`);
    const now = clock(),
      cache = cacheAt(location),
      until = now + Math.max(cacheTtlMs, (cacheTtl ?? 0) * 1000);
    const states = new Map<string, State>(),
      remote: string[] = [];
    for (const key of new Set(keys)) {
      const hit = cache.get(key),
        old = lagged(location, key, now);
      if (hit && now < hit.until) states.set(key, hit.state);
      else if (old) states.set(key, cache.set(key, { state: old, until }).get(key)!.state);
      else remote.push(key);
    }
    if (remote.length > 0) {
      // Bulk reads go to the real binding's bulk get (text only there); single reads keep the bytes.
      const found = bulk
        ? await kv.getWithMetadata(remote, "text")
        : new Map([[remote[0]!, await kv.getWithMetadata(remote[0]!, "arrayBuffer")]]);
      for (const key of remote) {
        const state = snapshot(key, found.get(key)?.value ?? null, found.get(key)?.metadata ?? null);
        states.set(key, state);
        cache.set(key, { state, until });
      }
    }
    return keys.map((key) => live(states.get(key)!, now));
  }

  /** Serialized per key, so each logged write records the state it replaced. */
  async function write(
    location: string,
    op: string,
    key: string,
    now: number,
    after: State,
    apply: () => Promise<void>,
  ) {
    // Limits: "Writes to same key: 1 per second", across all locations; a faster write fails with 429.
    const previous = lastWriteAt.get(key);
    if (previous !== undefined && now - previous < WRITE_INTERVAL_MS) throw fail(op, "429 Too Many Requests");
    lastWriteAt.set(key, now);
    const done = (queues.get(key) ?? Promise.resolve()).then(async () => {
      const real = await kv.getWithMetadata(key, "arrayBuffer");
      const before = snapshot(key, real.value, real.metadata);
      await apply();
      log.set(key, [...(log.get(key) ?? []), { at: now, by: location, before, expiresAt: after.expiresAt }]);
      cacheAt(location).set(key, { state: after, until: now + cacheTtlMs });
      counts.writes++;
      counts.writesByKey.set(key, (counts.writesByKey.get(key) ?? 0) + 1);
    });
    queues.set(
      key,
      done.catch(() => undefined),
    );
    await done; // A write the binding refused still used the key's second (stricter).
  }

  function binding(location = "here"): KVNamespace {
    let operations = 0;
    const enter = (op: string) => {
      // Limits: 1,000 operations per Worker invocation; "a bulk request to Workers KV counts for 1".
      if (++operations > MAX_OPS) throw new Error("Too many API requests by single worker invocation.");
      // A failed subrequest: rejects before touching storage.
      if (outage) throw fail(op, "503 Service Unavailable");
    };
    async function lookup(key: string | string[], arg: unknown, format: (state: State, type: string) => unknown) {
      enter("GET");
      const { type = "text", cacheTtl } =
        typeof arg === "string" ? { type: arg } : ((arg ?? {}) as { type?: string; cacheTtl?: number });
      if (!Array.isArray(key)) {
        checkKey("GET", key);
        if (!["text", "json", "arrayBuffer", "stream"].includes(type))
          throw new TypeError(`Unknown response type "${type}".`);
        charge("reads");
        counts.reads++;
        return format((await read(location, [key], cacheTtl, false))[0]!, type);
      }
      // Read key-value pairs: a bulk get takes 1 to 100 keys, as "text" or "json".
      if (key.length < 1 || key.length > MAX_BULK)
        throw fail(
          "GET_BULK",
          key.length ? `400 You can request a maximum of ${MAX_BULK} keys` : "400 You must request a minimum of 1 key",
        );
      if (type !== "text" && type !== "json")
        throw fail("GET_BULK", `400 "${type}" is not a valid type. Use "json" or "text"`);
      key.forEach((k) => checkKey("GET_BULK", k));
      charge("reads", key.length);
      counts.reads += key.length; // Pricing: reads are billed per key, a bulk read included.
      const states = await read(location, key, cacheTtl, true);
      return new Map(key.map((k, i) => [k, format(states[i]!, type)]));
    }
    const kvBinding = {
      get: (key: string | string[], arg?: unknown) => lookup(key, arg, (state, type) => decode(state.bytes, type)),
      getWithMetadata: (key: string | string[], arg?: unknown) =>
        lookup(key, arg, (state, type) => ({
          value: decode(state.bytes, type),
          metadata: state.bytes === null ? null : (state.metadata ?? null),
          cacheStatus: null,
        })),
      async put(key: string, value: Value, options: Options = {}) {
        enter("PUT");
        checkKey("PUT", key);
        const now = clock(),
          expiresAt = expiryOf(options, now);
        // Limits: "Key metadata: 1024 bytes", serialized as JSON.
        const metadataLength =
          options.metadata == null ? 0 : encoder.encode(JSON.stringify(options.metadata)).byteLength;
        if (metadataLength > MAX_METADATA)
          throw fail("PUT", `413 Metadata length of ${metadataLength} exceeds limit of ${MAX_METADATA}.`);
        charge("writes");
        const bytes = await toBytes(value);
        // Limits: "Value size: 25 MiB".
        if (bytes.byteLength > MAX_VALUE)
          throw fail("PUT", `413 Value length of ${bytes.byteLength} exceeds limit of ${MAX_VALUE}.`);
        // The binding gets a TTL from the model's clock, which may run ahead of real time.
        const expirationTtl = expiresAt === null ? undefined : Math.ceil((expiresAt - now) / 1000);
        const after = { bytes: bytes.slice(), metadata: options.metadata ?? null, expiresAt };
        await write(location, "PUT", key, now, after, () =>
          kv.put(key, bytes, { metadata: options.metadata, expirationTtl }),
        );
      },
      async delete(key: string) {
        enter("DELETE");
        checkKey("DELETE", key);
        charge("deletes");
        await write(location, "DELETE", key, clock(), absent, () => kv.delete(key));
      },
      async list(options: KVNamespaceListOptions = {}) {
        enter("LIST");
        // List keys: "limit ... defaults to 1,000", the most a page holds.
        const { limit = MAX_LIST } = options,
          prefix = options.prefix ?? "";
        if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIST))
          throw fail(
            "LIST",
            `400 Invalid key_count_limit of ${limit}. Please specify an integer between 1 and ${MAX_LIST}.`,
          );
        const after = cursorKey(options.cursor);
        charge("lists");
        counts.reads++;
        const now = clock(),
          real = new Map<string, KVNamespaceListKey<unknown>>();
        for (let page = await kv.list({ prefix }); ; page = await kv.list({ prefix, cursor: page.cursor })) {
          page.keys.forEach((key) => real.set(key.name, key));
          if (page.list_complete) break;
        }
        const names = [...new Set([...real.keys(), ...[...log.keys()].filter((name) => name.startsWith(prefix))])];
        const visible = names
          .filter((name) => bytewise(name, after) > 0)
          .sort(bytewise)
          .flatMap((name) => {
            const seen = lagged(location, name, now);
            const state = live(
              seen ?? {
                bytes: real.has(name) ? new Uint8Array() : null,
                metadata: real.get(name)?.metadata,
                expiresAt: lastExpiry(name),
              },
              now,
            );
            if (state.bytes === null) return [];
            const expiration =
              state.expiresAt !== null
                ? Math.ceil(state.expiresAt / 1000)
                : seen
                  ? undefined
                  : real.get(name)?.expiration;
            return [
              {
                name,
                ...(state.metadata != null && { metadata: state.metadata }),
                ...(expiration !== undefined && { expiration }),
              },
            ];
          });
        const keys = visible.slice(0, limit);
        if (visible.length <= limit) return { keys, list_complete: true, cacheStatus: null };
        return { keys, list_complete: false, cursor: btoa(encodeURIComponent(keys.at(-1)!.name)), cacheStatus: null };
      },
    };
    return kvBinding as unknown as KVNamespace;
  }

  return {
    binding,
    setOutage: (on) => void (outage = on),
    stats: () => ({ reads: counts.reads, writes: counts.writes, writesByKey: new Map(counts.writesByKey) }),
    today: () => (Math.floor(clock() / DAY_MS) === day ? { ...used } : { reads: 0, writes: 0, deletes: 0, lists: 0 }),
  };
}

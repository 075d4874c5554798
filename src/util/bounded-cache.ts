/**
 * The one per-isolate cache: a map with a hard size bound and per-entry expiry. When full, the
 * oldest insertion goes: a ring of keys remembers the order, because asking a Map for its first
 * key after many deletions makes V8 walk past every deleted slot (microseconds per eviction at
 * 10 000 entries). Expired entries are dropped when read. Callers store only successes (or
 * delete a pending promise when it fails). `expiresAt` is in whatever unit the caller's `now`
 * is; each cache's owner names it.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    if (!this.entries.has(key)) {
      // The slot's previous key may have expired and come back meanwhile: then it just
      // leaves the cache a little early, which costs one more computation, never safety.
      const evicted = this.ring[this.next];
      if (evicted !== undefined) this.entries.delete(evicted);
      this.ring[this.next] = key;
      this.next = (this.next + 1) % this.capacity;
    }
    this.entries.set(key, { value, expiresAt });
  }

  /** Removes `key` only while it still holds `value` (a failed promise, not its replacement). */
  deleteIf(key: string, value: V): void {
    if (this.entries.get(key)?.value === value) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The cache that belongs to `owner` (a parsed configuration, a list of workloads), made on first
 * use: when the owner goes (a new configuration), its cache goes with it.
 */
export function cacheOf<O extends object, V>(
  caches: WeakMap<O, BoundedCache<V>>,
  owner: O,
  capacity: number,
): BoundedCache<V> {
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new BoundedCache<V>(capacity)));
  return cache;
}

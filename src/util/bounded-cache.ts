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
 * A promise-valued entry that is forgotten if it rejects: caches never keep a failure.
 * Returns the cached promise, or stores and returns `create()`'s.
 */
export function cachedPromise<V>(
  cache: BoundedCache<Promise<V>>,
  key: string,
  now: number,
  expiresAt: number,
  create: () => Promise<V>,
): Promise<V> {
  const cached = cache.get(key, now);
  if (cached) return cached;
  const created = create();
  cache.set(key, created, expiresAt);
  created.catch(() => cache.deleteIf(key, created));
  return created;
}

/**
 * Answers (including "none") kept for ttlMs, so hot paths do not read
 * Firestore per request. At most maxEntries: past it the cache starts over,
 * so a burst of unknown keys cannot grow it without bound. A ttlMs of 0 keeps
 * nothing. `peek` answers a hit at once, without a promise, for paths where a
 * promise per hit is measurable (the normalizer's routing).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The kept answer for `key`, if it has not expired. */
  peek(key: string): { value: V } | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expires > this.now() ? { value: hit.value } : undefined;
  }

  /** Keeps `value` for ttlMs from `since` (when its lookup started); returns it. */
  set(key: string, value: V, since = this.now()): V {
    if (this.ttlMs <= 0) return value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, { value, expires: since + this.ttlMs });
    return value;
  }

  /** The kept answer, or `load`'s, kept (a failed load is not). */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.peek(key);
    if (hit) return hit.value;
    const since = this.now();
    return this.set(key, await load(), since);
  }
}

/**
 * A small, fast, bounded cache for hot-path lookups (geoip, useragent, time-zone offsets).
 *
 * It uses the two-generation scheme ("hashlru"): new entries go into the young map; when
 * it holds `max` entries it becomes the old map and the previous old map is dropped. A hit
 * in the old map promotes the entry back into the young one. So an entry used since the
 * last `max` insertions is always kept, at most `2 × max` entries are held, and a hit is a
 * single `Map.get` in the common case (no re-ordering on every read, unlike a strict LRU).
 *
 * `undefined` means "absent": callers that want to remember a negative result store `null`.
 */
export class LruCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  readonly max: number;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`cache size must be a positive integer, got ${max}`);
    this.max = max;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.insert(key, o);
    }
    return o;
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) this.young.set(key, value);
    else {
      this.old.delete(key);
      this.insert(key, value);
    }
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  /** Number of entries held (between 0 and 2 × max). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  private insert(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.max) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

/**
 * A map whose entries live `ttlMs` and which never holds more than `maxEntries`. Entries are kept
 * in expiry order (a write moves its key to the end), so each write first drops the expired ones
 * at the head: what it holds is bounded by the keys written in the last `ttlMs`, not by every key
 * seen since start. The per-tenant caches of a turn (tenant config, API key records, JWT trust)
 * use it: with 100k tenants and a 2 s TTL it holds the tenants of the last 2 s, at most `maxEntries`.
 */
export interface TtlCache<K, V> {
  /** The value written less than `ttlMs` ago, or undefined. */
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  /** Drops every entry whose value passes `test`. */
  deleteWhere(test: (value: V) => boolean): void;
  /** Live entries plus expired ones not yet dropped. */
  readonly size: number;
}

export function createTtlCache<K, V>(options: {
  ttlMs: number;
  maxEntries: number;
  now: () => number;
}): TtlCache<K, V> {
  const { ttlMs, maxEntries, now } = options;
  const entries = new Map<K, { value: V; expires: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expires > now()) return entry.value;
      entries.delete(key);
      return undefined;
    },
    set(key, value) {
      const at = now();
      entries.delete(key);
      for (const [oldest, entry] of entries) {
        if (entry.expires > at && entries.size < maxEntries) break;
        entries.delete(oldest);
      }
      entries.set(key, { value, expires: at + ttlMs });
    },
    delete(key) {
      entries.delete(key);
    },
    deleteWhere(test) {
      for (const [key, entry] of entries) if (test(entry.value)) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

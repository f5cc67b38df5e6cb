/**
 * A bounded least-recently-used cache of model instances. The registry keys it by provider, model
 * and key fingerprint, and by tenant for a tenant's own key, so an instance built with one tenant's
 * key is never handed to another tenant.
 */
export function createModelCache<T>(maxEntries = 256) {
  const entries = new Map<string, T>();
  return {
    get(key: string, create: () => T): T {
      const hit = entries.get(key);
      if (hit !== undefined) {
        // Re-inserting moves the entry to the end: Map iteration order is the recency order.
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const created = create();
      entries.set(key, created);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return created;
    },
    get size() {
      return entries.size;
    },
  };
}

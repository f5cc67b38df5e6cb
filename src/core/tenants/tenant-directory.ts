import type { Storage } from '../ports.ts';
import { createTtlCache } from '../ttl-cache.ts';
import type { Tenant } from './tenant.ts';
import type { TenantConfigVersion } from './tenant-config.ts';

export interface TenantView {
  tenant: Tenant | null;
  config: TenantConfigVersion;
}

export interface TenantDirectory {
  /** The tenant and its current config, from a short-lived cache. */
  get(tenantId: string): Promise<TenantView>;
  /** Drops the cached entry after a change made by this process. */
  invalidate(tenantId: string): void;
}

/**
 * A bounded, short-lived cache of tenant status and config, so a turn does not pay two extra
 * queries. Changes made through this process are visible at once (`invalidate`); changes made by
 * another replica are visible within `ttlMs`. It holds the tenants of the last `ttlMs` (at most
 * `maxEntries`): a view is about 360 bytes with the default config, up to 40 kB with the longest
 * system prompt.
 */
export function createTenantDirectory(options: {
  storage: Storage;
  now?: () => number;
  ttlMs?: number;
  maxEntries?: number;
}): TenantDirectory {
  const { storage } = options;
  const cache = createTtlCache<string, TenantView>({
    ttlMs: options.ttlMs ?? 2_000,
    maxEntries: options.maxEntries ?? 10_000,
    now: options.now ?? Date.now,
  });
  return {
    async get(tenantId) {
      const hit = cache.get(tenantId);
      if (hit) return hit;
      const view = await storage.getTenantView(tenantId);
      // A tenant that does not exist yet is not cached: it may be created by its first turn.
      if (view.tenant) cache.set(tenantId, view);
      return view;
    },
    invalidate(tenantId) {
      cache.delete(tenantId);
    },
  };
}

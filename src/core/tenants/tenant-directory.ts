import type { Storage } from '../ports.ts';
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
 * another replica are visible within `ttlMs`.
 */
export function createTenantDirectory(options: {
  storage: Storage;
  now?: () => number;
  ttlMs?: number;
  maxEntries?: number;
}): TenantDirectory {
  const { storage } = options;
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { view: TenantView; expires: number }>();
  return {
    async get(tenantId) {
      const hit = cache.get(tenantId);
      if (hit && hit.expires > now()) return hit.view;
      const view = await storage.getTenantView(tenantId);
      const { tenant } = view;
      // A tenant that does not exist yet is not cached: it may be created by its first turn.
      if (tenant) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(tenantId, { view, expires: now() + ttlMs });
      }
      return view;
    },
    invalidate(tenantId) {
      cache.delete(tenantId);
    },
  };
}

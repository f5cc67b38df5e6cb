import type { McpToolInfo } from '../../core/mcp/mcp-server.ts';

/**
 * A short cache of tool lists, bounded per tenant and in tenants: one tenant with many servers or
 * users evicts only its own entries, never another tenant's. Keys hold the server's `updatedAt`,
 * so an edited server is listed afresh; `invalidate` drops a server's entries at once.
 */
export function createMcpToolCache(options: { ttlMs: number; perTenant: number; tenants: number; now: () => number }) {
  const byTenant = new Map<string, Map<string, { expires: number; serverId: string; tools: McpToolInfo[] }>>();
  return {
    get(tenantId: string, key: string): McpToolInfo[] | null {
      const entries = byTenant.get(tenantId);
      const entry = entries?.get(key);
      if (!entries || !entry) return null;
      if (entry.expires <= options.now()) {
        entries.delete(key);
        return null;
      }
      return entry.tools;
    },
    set(tenantId: string, serverId: string, key: string, tools: McpToolInfo[]): void {
      let entries = byTenant.get(tenantId);
      if (entries) byTenant.delete(tenantId);
      else entries = new Map();
      byTenant.set(tenantId, entries); // most recently used tenant last
      entries.delete(key);
      entries.set(key, { expires: options.now() + options.ttlMs, serverId, tools });
      while (entries.size > options.perTenant) entries.delete(entries.keys().next().value as string);
      while (byTenant.size > options.tenants) byTenant.delete(byTenant.keys().next().value as string);
    },
    invalidate(tenantId: string, serverId: string): void {
      const entries = byTenant.get(tenantId);
      for (const [key, entry] of entries ?? []) if (entry.serverId === serverId) entries?.delete(key);
    },
  };
}

export type McpToolCache = ReturnType<typeof createMcpToolCache>;

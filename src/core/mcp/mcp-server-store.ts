import type { McpServer, McpServerInput } from './mcp-server.ts';

/**
 * Tenant MCP servers and the sealed per-end-user credentials of per-user servers (migration 14).
 * Every call is scoped to `tenantId` (RLS on PostgreSQL); the caller has authorised the tenant.
 */
export interface McpServerStore {
  list(tenantId: string): Promise<McpServer[]>;
  /** Null when the tenant has no server of that id (a foreign id included). */
  get(tenantId: string, id: string): Promise<McpServer | null>;
  getByName(tenantId: string, name: string): Promise<McpServer | null>;
  /** False when the name is taken in the tenant. */
  create(tenantId: string, server: McpServer): Promise<boolean>;
  /** Replaces the record; null when missing, 'name-taken' when the new name is another server's. */
  update(
    tenantId: string,
    id: string,
    server: McpServerInput,
    updatedAt: string,
  ): Promise<McpServer | null | 'name-taken'>;
  /** Deletes the server and every user credential of it; false when missing. */
  delete(tenantId: string, id: string): Promise<boolean>;
  /** The sealed credential of `userId` for the server, or null. */
  getUserCredential(tenantId: string, serverId: string, userId: string): Promise<string | null>;
  putUserCredential(
    tenantId: string,
    serverId: string,
    userId: string,
    sealed: string,
    updatedAt: string,
  ): Promise<void>;
  deleteUserCredential(tenantId: string, serverId: string, userId: string): Promise<boolean>;
  /** Whether `userId` has a credential for the server (never the value). */
  listUsersWithCredential(tenantId: string, serverId: string, limit: number): Promise<string[]>;
}

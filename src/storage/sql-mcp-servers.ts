import type { McpServer } from '../core/mcp/mcp-server.ts';
import type { McpServerStore } from '../core/mcp/mcp-server-store.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

const COLUMNS = 'id, name, url, transport, auth, tools, call_timeout_ms, per_user_credentials, created_at, updated_at';

function toServer(row: SqlRow): McpServer {
  return {
    id: String(row.id),
    name: String(row.name),
    url: String(row.url),
    transport: row.transport === 'sse' ? 'sse' : 'streamable-http',
    auth: JSON.parse(String(row.auth)) as McpServer['auth'],
    tools: row.tools === null || row.tools === undefined ? null : (JSON.parse(String(row.tools)) as string[]),
    callTimeoutMs:
      row.call_timeout_ms === null || row.call_timeout_ms === undefined ? null : Number(row.call_timeout_ms),
    perUserCredentials: Number(row.per_user_credentials) === 1,
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function isUniqueViolation(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${(error as { code?: unknown }).code ?? ''}` : '';
  return /UNIQUE constraint failed|23505|duplicate key/i.test(text);
}

/** Tenant MCP servers and per-user credentials (migration 14) over either dialect. */
export function createSqlMcpServers(database: SqlDatabase): McpServerStore {
  const bool = (value: boolean) => (value ? 1 : 0);
  const values = (server: Omit<McpServer, 'id' | 'createdAt' | 'updatedAt'>) => [
    server.name,
    server.url,
    server.transport,
    JSON.stringify(server.auth),
    server.tools === null ? null : JSON.stringify(server.tools),
    server.callTimeoutMs,
    bool(server.perUserCredentials),
  ];
  return {
    async list(tenantId) {
      const rows = await database
        .forTenant(tenantId)
        .all(`SELECT ${COLUMNS} FROM mcp_servers WHERE tenant_id = ? ORDER BY name`, [tenantId]);
      return rows.map(toServer);
    },

    async get(tenantId, id) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${COLUMNS} FROM mcp_servers WHERE tenant_id = ? AND id = ?`, [tenantId, id]);
      return row ? toServer(row) : null;
    },

    async getByName(tenantId, name) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${COLUMNS} FROM mcp_servers WHERE tenant_id = ? AND name = ?`, [tenantId, name]);
      return row ? toServer(row) : null;
    },

    async create(tenantId, server) {
      try {
        await database.forTenant(tenantId).run(
          `INSERT INTO mcp_servers (tenant_id, id, name, url, transport, auth, tools, call_timeout_ms, per_user_credentials, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [tenantId, server.id, ...values(server), server.createdAt, server.updatedAt],
        );
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async update(tenantId, id, server, updatedAt) {
      try {
        const row = await database.forTenant(tenantId).get(
          `UPDATE mcp_servers SET name = ?, url = ?, transport = ?, auth = ?, tools = ?, call_timeout_ms = ?,
            per_user_credentials = ?, updated_at = ? WHERE tenant_id = ? AND id = ? RETURNING ${COLUMNS}`,
          [...values(server), updatedAt, tenantId, id],
        );
        return row ? toServer(row) : null;
      } catch (error) {
        if (isUniqueViolation(error)) return 'name-taken';
        throw error;
      }
    },

    async delete(tenantId, id) {
      return database.forTenant(tenantId).transaction(async (client) => {
        await client.run('DELETE FROM mcp_user_credentials WHERE tenant_id = ? AND server_id = ?', [tenantId, id]);
        const { changes } = await client.run('DELETE FROM mcp_servers WHERE tenant_id = ? AND id = ?', [tenantId, id]);
        return changes > 0;
      });
    },

    async getUserCredential(tenantId, serverId, userId) {
      const row = await database
        .forTenant(tenantId)
        .get<{ sealed: string }>(
          'SELECT sealed FROM mcp_user_credentials WHERE tenant_id = ? AND server_id = ? AND user_id = ?',
          [tenantId, serverId, userId],
        );
      return row ? String(row.sealed) : null;
    },

    async putUserCredential(tenantId, serverId, userId, sealed, updatedAt) {
      await database.forTenant(tenantId).run(
        `INSERT INTO mcp_user_credentials (tenant_id, server_id, user_id, sealed, updated_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (tenant_id, server_id, user_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
        [tenantId, serverId, userId, sealed, updatedAt],
      );
    },

    async deleteUserCredential(tenantId, serverId, userId) {
      const { changes } = await database
        .forTenant(tenantId)
        .run('DELETE FROM mcp_user_credentials WHERE tenant_id = ? AND server_id = ? AND user_id = ?', [
          tenantId,
          serverId,
          userId,
        ]);
      return changes > 0;
    },

    async listUsersWithCredential(tenantId, serverId, limit) {
      const rows = await database
        .forTenant(tenantId)
        .all<{ user_id: string }>(
          'SELECT user_id FROM mcp_user_credentials WHERE tenant_id = ? AND server_id = ? ORDER BY user_id LIMIT ?',
          [tenantId, serverId, limit],
        );
      return rows.map((row) => String(row.user_id));
    },
  };
}

import type {
  GrantKey,
  GrantRecord,
  GrantWrite,
  McpOAuthStore,
  PendingAuthorization,
} from '../core/mcp/mcp-oauth-store.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

const KEY = 'tenant_id = ? AND server_id = ? AND user_key = ?';
const keyParams = (key: GrantKey) => [key.tenantId, key.serverId, key.userKey];

const UPSERT = `INSERT INTO mcp_oauth_grants (tenant_id, server_id, user_key, tokens, client_info, discovery, expires_at, version, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
  ON CONFLICT (tenant_id, server_id, user_key) DO UPDATE SET tokens = excluded.tokens, client_info = excluded.client_info,
    discovery = excluded.discovery, expires_at = excluded.expires_at, updated_at = excluded.updated_at,
    step_up_scope = NULL, version = mcp_oauth_grants.version + 1`;

/**
 * MCP OAuth grants and started authorizations (migration 15) over either dialect. Every write to
 * a grant bumps its version, and a refresh writes only over the version it read; the refresh lease
 * is claimed with one conditional upsert, so two replicas never both hold it.
 */
export function createSqlMcpOAuth(database: SqlDatabase, now: () => Date = () => new Date()): McpOAuthStore {
  return {
    async getGrant(key) {
      const row = await database
        .forTenant(key.tenantId)
        .get(
          `SELECT tokens, client_info, discovery, step_up_scope, expires_at, version FROM mcp_oauth_grants WHERE ${KEY}`,
          keyParams(key),
        );
      return row ? toGrant(row) : null;
    },

    async saveGrant(key, write: GrantWrite, expectedVersion) {
      const params = [
        ...keyParams(key),
        write.tokens,
        write.clientInfo,
        write.discovery,
        write.expiresAt,
        now().toISOString(),
      ];
      const scope = database.forTenant(key.tenantId);
      // A new authorization writes whatever is there; a refresh only over the version it read, and
      // never recreates a grant deleted meanwhile (revoked, or its server deleted).
      const row =
        expectedVersion === null
          ? await scope.get<{ version: number }>(`${UPSERT} RETURNING version`, params)
          : await scope.get<{ version: number }>(
              `UPDATE mcp_oauth_grants SET tokens = ?, client_info = ?, discovery = ?, expires_at = ?, updated_at = ?,
                version = version + 1 WHERE ${KEY} AND version = ? RETURNING version`,
              [...params.slice(3), ...keyParams(key), expectedVersion],
            );
      return row ? Number(row.version) : null;
    },

    async claimLease(key, owner, nowMs, untilMs) {
      const row = await database.forTenant(key.tenantId).get(
        `INSERT INTO mcp_oauth_grants (tenant_id, server_id, user_key, version, lease_owner, lease_until, updated_at)
          VALUES (?, ?, ?, 0, ?, ?, ?)
          ON CONFLICT (tenant_id, server_id, user_key) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
          WHERE mcp_oauth_grants.lease_until IS NULL OR mcp_oauth_grants.lease_until < ?
          RETURNING lease_owner`,
        [...keyParams(key), owner, untilMs, now().toISOString(), nowMs],
      );
      return row?.lease_owner === owner;
    },

    async releaseLease(key, owner) {
      await database
        .forTenant(key.tenantId)
        .run(`UPDATE mcp_oauth_grants SET lease_owner = NULL, lease_until = NULL WHERE ${KEY} AND lease_owner = ?`, [
          ...keyParams(key),
          owner,
        ]);
    },

    async deleteServerGrants(tenantId, serverId) {
      const scope = database.forTenant(tenantId);
      return scope.transaction(async (client) => {
        await client.run('DELETE FROM mcp_oauth_states WHERE tenant_id = ? AND server_id = ?', [tenantId, serverId]);
        const { changes } = await client.run('DELETE FROM mcp_oauth_grants WHERE tenant_id = ? AND server_id = ?', [
          tenantId,
          serverId,
        ]);
        return changes;
      });
    },

    async setStepUpScope(key, scope) {
      await database.forTenant(key.tenantId).run(
        `INSERT INTO mcp_oauth_grants (tenant_id, server_id, user_key, step_up_scope, version, updated_at) VALUES (?, ?, ?, ?, 0, ?)
          ON CONFLICT (tenant_id, server_id, user_key) DO UPDATE SET step_up_scope = excluded.step_up_scope`,
        [...keyParams(key), scope, now().toISOString()],
      );
    },

    async deleteGrant(key) {
      const { changes } = await database
        .forTenant(key.tenantId)
        .run(`DELETE FROM mcp_oauth_grants WHERE ${KEY}`, keyParams(key));
      return changes > 0;
    },

    async putPending(tenantId, stateHash, pending: PendingAuthorization) {
      const scope = database.forTenant(tenantId);
      await scope.transaction(async (client) => {
        // Expired states of the tenant go as new ones arrive, so the table never grows without bound.
        await client.run('DELETE FROM mcp_oauth_states WHERE tenant_id = ? AND expires_at < ?', [
          tenantId,
          now().getTime(),
        ]);
        await client.run(
          `INSERT INTO mcp_oauth_states (tenant_id, state_hash, server_id, user_key, code_verifier, context, expires_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            tenantId,
            stateHash,
            pending.serverId,
            pending.userKey,
            pending.codeVerifier,
            pending.context,
            pending.expiresAt,
            now().toISOString(),
          ],
        );
      });
    },

    async takePending(tenantId, stateHash, nowMs) {
      const row = await database
        .forTenant(tenantId)
        .get(
          'DELETE FROM mcp_oauth_states WHERE tenant_id = ? AND state_hash = ? RETURNING server_id, user_key, code_verifier, context, expires_at',
          [tenantId, stateHash],
        );
      if (!row || Number(row.expires_at) <= nowMs) return null;
      return {
        serverId: String(row.server_id),
        userKey: String(row.user_key),
        codeVerifier: String(row.code_verifier),
        context: String(row.context),
        expiresAt: Number(row.expires_at),
      };
    },
  };
}

function toGrant(row: SqlRow): GrantRecord {
  return {
    tokens: row.tokens == null ? null : String(row.tokens),
    clientInfo: row.client_info == null ? null : String(row.client_info),
    discovery: row.discovery == null ? null : String(row.discovery),
    stepUpScope: row.step_up_scope == null ? null : String(row.step_up_scope),
    expiresAt: row.expires_at == null ? null : Number(row.expires_at),
    version: Number(row.version),
  };
}

import type { Storage } from '../core/ports.ts';
import type { SqlDatabase, SqlRow, SqlValue } from './sql-database.ts';

/** Every table a tenant owns, for export: the tenant row first, then its children. */
const EXPORT_TABLES = [
  'tenant_configs',
  'agents',
  'agent_versions',
  'api_keys',
  'sessions',
  'messages',
  'session_summaries',
  'responses',
  'usage_records',
  'idempotency_keys',
  'audit_log',
  'tenant_secrets',
  'mcp_servers',
  'mcp_user_credentials',
] as const;

/** Columns that never leave: an API key's hash is a credential verifier, not tenant data. */
const EXPORT_COLUMNS: Partial<Record<(typeof EXPORT_TABLES)[number], string>> = {
  api_keys: 'tenant_id, id, name, prefix, scopes, limits, expires_at, last_used_at, revoked_at, created_at',
};

/** Each table's primary key after `tenant_id`: the export's page order. */
const EXPORT_KEYS: Record<(typeof EXPORT_TABLES)[number], readonly string[]> = {
  tenant_configs: ['version'],
  agents: ['id'],
  agent_versions: ['agent_id', 'version'],
  api_keys: ['id'],
  sessions: ['id'],
  messages: ['session_id', 'seq'],
  session_summaries: ['session_id', 'up_to_seq'],
  responses: ['turn_id'],
  usage_records: ['id'],
  idempotency_keys: ['key'],
  audit_log: ['id'],
  tenant_secrets: ['name'],
  mcp_servers: ['id'],
  mcp_user_credentials: ['server_id', 'user_id'],
};

/**
 * A config version as exported: an inline JWT signing secret (one the server has not yet moved into
 * the secrets store, for want of a master key) is shown as `***`. Exports carry secrets only as
 * the `tenant_secrets` ciphertext (and MCP user credentials as theirs), never in clear.
 */
function withoutInlineSecret(row: SqlRow): SqlRow {
  const config = JSON.parse(String(row.config)) as { jwt?: { secret?: unknown } | null };
  if (config.jwt?.secret === undefined) return row;
  return { ...row, config: JSON.stringify({ ...config, jwt: { ...config.jwt, secret: '***' } }) };
}

/** Page size when streaming an export, so a tenant with millions of rows never sits in memory. */
const EXPORT_PAGE = 1000;

type TenantDataMethods = Pick<
  Storage,
  | 'eraseUser'
  | 'exportTenant'
  | 'getDataKey'
  | 'putDataKey'
  | 'putSecret'
  | 'getSecret'
  | 'deleteSecret'
  | 'listSecretNames'
>;

/** Export, end-user erasure, and encrypted secrets with their per-tenant data key. */
export function createSqlTenantData(database: SqlDatabase, now: () => Date): TenantDataMethods {
  return {
    async eraseUser(tenantId, userId) {
      return database.forTenant(tenantId).transaction(async (client) => {
        // The user's turns: every turn in their sessions, and every turn they made anywhere else
        // (the legacy session, another user's session), found through the user id on the message.
        const turns = `SELECT turn_id FROM messages WHERE tenant_id = ? AND (user_id = ? OR session_id IN (SELECT id FROM sessions WHERE tenant_id = ? AND user_id = ?))`;
        const turnParams = [tenantId, userId, tenantId, userId];
        const erasedTurns = await client.all<{ turn_id: string }>(
          `SELECT DISTINCT turn_id FROM messages WHERE tenant_id = ? AND turn_id IN (${turns})`,
          [tenantId, ...turnParams],
        );
        // A summary may quote any message of its session: every summary of a session the user owns
        // or spoke in goes, before the messages that identify those sessions are deleted.
        await client.run(
          `DELETE FROM session_summaries WHERE tenant_id = ? AND session_id IN (
             SELECT session_id FROM messages WHERE tenant_id = ? AND turn_id IN (${turns}))`,
          [tenantId, tenantId, ...turnParams],
        );
        // A stored Responses API response belongs to the erased turns.
        await client.run(`DELETE FROM responses WHERE tenant_id = ? AND turn_id IN (${turns})`, [
          tenantId,
          ...turnParams,
        ]);
        // Stored turn responses quote the user's messages: their keys go too.
        await client.run(
          `DELETE FROM idempotency_keys WHERE tenant_id = ? AND (user_id = ? OR turn_id IN (${turns}))`,
          [tenantId, userId, ...turnParams],
        );
        const usage = await client.run(
          `DELETE FROM usage_records WHERE tenant_id = ? AND (user_id = ? OR turn_id IN (${turns}))`,
          [tenantId, userId, ...turnParams],
        );
        const messages = await client.run(`DELETE FROM messages WHERE tenant_id = ? AND turn_id IN (${turns})`, [
          tenantId,
          ...turnParams,
        ]);
        // Their own credentials for per-user MCP servers (migration 14) go with them.
        await client.run('DELETE FROM mcp_user_credentials WHERE tenant_id = ? AND user_id = ?', [tenantId, userId]);
        const sessions = await client.run('DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?', [
          tenantId,
          userId,
        ]);
        return {
          sessions: sessions.changes,
          messages: messages.changes,
          usageRecords: usage.changes,
          turnIds: erasedTurns.map((row) => String(row.turn_id)),
        };
      });
    },

    async *exportTenant(tenantId) {
      const tenant = await database.forTenant(tenantId).get('SELECT * FROM tenants WHERE id = ?', [tenantId]);
      if (!tenant) return;
      yield { table: 'tenants', row: tenant };
      const scope = database.forTenant(tenantId);
      for (const table of EXPORT_TABLES) {
        // Keyset pages by primary key (a row value), the same on every dialect.
        const key = EXPORT_KEYS[table];
        const keyList = key.join(', ');
        let after: SqlValue[] | null = null;
        for (;;) {
          const rows: SqlRow[] = await scope.all(
            `SELECT ${EXPORT_COLUMNS[table] ?? '*'} FROM ${table} WHERE tenant_id = ?${
              after ? ` AND (${keyList}) > (${key.map(() => '?').join(', ')})` : ''
            } ORDER BY ${keyList} LIMIT ?`,
            [tenantId, ...(after ?? []), EXPORT_PAGE],
          );
          for (const row of rows) yield { table, row: table === 'tenant_configs' ? withoutInlineSecret(row) : row };
          const last = rows.at(-1);
          if (!last || rows.length < EXPORT_PAGE) break;
          after = key.map((column) => last[column] ?? null);
        }
      }
    },

    async getDataKey(tenantId) {
      const row = await database
        .forTenant(tenantId)
        .get('SELECT wrapped_key FROM tenant_data_keys WHERE tenant_id = ?', [tenantId]);
      return row ? String(row.wrapped_key) : null;
    },

    async putDataKey(tenantId, wrappedKey) {
      await database
        .forTenant(tenantId)
        .run(
          'INSERT INTO tenant_data_keys (tenant_id, wrapped_key, created_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING',
          [tenantId, wrappedKey, now().toISOString()],
        );
      const row = await database
        .forTenant(tenantId)
        .get('SELECT wrapped_key FROM tenant_data_keys WHERE tenant_id = ?', [tenantId]);
      return String(row?.wrapped_key);
    },

    async putSecret(tenantId, name, ciphertext) {
      await database.forTenant(tenantId).run(
        `INSERT INTO tenant_secrets (tenant_id, name, ciphertext, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
        [tenantId, name, ciphertext, now().toISOString()],
      );
    },

    async getSecret(tenantId, name) {
      const row = await database
        .forTenant(tenantId)
        .get('SELECT ciphertext FROM tenant_secrets WHERE tenant_id = ? AND name = ?', [tenantId, name]);
      return row ? String(row.ciphertext) : null;
    },

    async deleteSecret(tenantId, name) {
      const result = await database
        .forTenant(tenantId)
        .run('DELETE FROM tenant_secrets WHERE tenant_id = ? AND name = ?', [tenantId, name]);
      return result.changes > 0;
    },

    async listSecretNames(tenantId) {
      const rows = await database
        .forTenant(tenantId)
        .all('SELECT name FROM tenant_secrets WHERE tenant_id = ? ORDER BY name', [tenantId]);
      return rows.map((row) => String(row.name));
    },
  };
}

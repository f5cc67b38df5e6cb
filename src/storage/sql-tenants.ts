import { AppError } from '../core/errors.ts';
import type { AdminStorage, Storage } from '../core/ports.ts';
import { TENANT_COLUMNS, toTenant } from './rows.ts';
import type { SqlDatabase } from './sql-database.ts';

/** Every table with a `tenant_id` column, children before parents (deletion and export order). */
export const TENANT_TABLES = [
  'responses',
  'session_summaries',
  'messages',
  'sessions',
  'agent_versions',
  'agents',
  'usage_records',
  'idempotency_keys',
  'api_keys',
  'tenant_configs',
  'mcp_user_credentials',
  'mcp_servers',
  'tenant_secrets',
  'tenant_data_keys',
  'audit_log',
] as const;

type TenantMethods = Pick<Storage, 'getTenant'> &
  Pick<AdminStorage, 'createTenant' | 'updateTenant' | 'listTenants' | 'deleteTenant'>;

/** Tenant rows: the one tenant-scoped read, and the operator's cross-tenant lifecycle. */
export function createSqlTenants(database: SqlDatabase, now: () => Date): TenantMethods {
  return {
    async getTenant(tenantId) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE id = ?`, [tenantId]);
      return row ? toTenant(row) : null;
    },
    async createTenant({ id, name }) {
      const createdAt = now().toISOString();
      const result = await database
        .forTenant(id)
        .run('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING', [
          id,
          name,
          createdAt,
        ]);
      if (result.changes === 0) throw new AppError('TENANT_ALREADY_EXISTS', `Tenant ${id} already exists`);
      return { id, name, status: 'active', configVersion: 0, createdAt, updatedAt: createdAt };
    },

    async updateTenant(tenantId, changes) {
      const row = await database
        .forTenant(tenantId)
        .get(
          `UPDATE tenants SET name = coalesce(?, name), status = coalesce(?, status), updated_at = ? WHERE id = ? RETURNING ${TENANT_COLUMNS}`,
          [changes.name ?? null, changes.status ?? null, now().toISOString(), tenantId],
        );
      return row ? toTenant(row) : null;
    },

    async listTenants({ limit, afterId }) {
      // Listing crosses tenants: on PostgreSQL through the explicit SECURITY DEFINER function.
      const from = database.dialect === 'postgres' ? 'enclave_list_tenants()' : 'tenants';
      const rows = await database.all(`SELECT ${TENANT_COLUMNS} FROM ${from} WHERE id > ? ORDER BY id LIMIT ?`, [
        afterId ?? '',
        limit,
      ]);
      return rows.map(toTenant);
    },

    async deleteTenant(tenantId) {
      return database.forTenant(tenantId).transaction(async (client) => {
        // A tenant that does not exist has nothing to delete (and no stray rows to sweep under its name).
        if (!(await client.get('SELECT 1 AS found FROM tenants WHERE id = ?', [tenantId]))) return false;
        // Children first; the data key goes too, so any copy of the ciphertext left elsewhere is unreadable.
        for (const table of TENANT_TABLES) await client.run(`DELETE FROM ${table} WHERE tenant_id = ?`, [tenantId]);
        const result = await client.run('DELETE FROM tenants WHERE id = ?', [tenantId]);
        return result.changes > 0;
      });
    },
  };
}

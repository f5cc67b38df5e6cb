import type { ConsoleSessionRecord, ConsoleSessionStore } from '../core/ports.ts';
import type { SqlDatabase } from './sql-database.ts';

/**
 * Web console sessions (migration 16). Tenant sessions live in `console_sessions` under the
 * tenant's RLS scope; operator sessions in the platform table `operator_console_sessions`.
 * Expired rows of the same owner are removed whenever a new session is created.
 */
export function createSqlConsoleSessions(database: SqlDatabase, now: () => Date): ConsoleSessionStore {
  const postgres = database.dialect === 'postgres';
  return {
    async createConsoleSession(session) {
      const at = now().toISOString();
      if (session.kind === 'tenant') {
        const scope = database.forTenant(session.tenantId);
        await scope.run('DELETE FROM console_sessions WHERE tenant_id = ? AND expires_at <= ?', [session.tenantId, at]);
        await scope.run(
          'INSERT INTO console_sessions (tenant_id, hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
          [session.tenantId, session.hash, session.keyId, session.createdAt, session.expiresAt],
        );
        return;
      }
      await database.run('DELETE FROM operator_console_sessions WHERE expires_at <= ?', [at]);
      await database.run(
        'INSERT INTO operator_console_sessions (hash, admin_key_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
        [session.hash, session.adminKeyId, session.createdAt, session.expiresAt],
      );
    },

    async findConsoleSession(hash) {
      // PostgreSQL: the explicit cross-tenant path (a SECURITY DEFINER function over the hash index).
      const tenant = await database.get(
        postgres
          ? 'SELECT tenant_id, key_id, created_at, expires_at FROM enclave_find_console_session(?)'
          : 'SELECT tenant_id, key_id, created_at, expires_at FROM console_sessions WHERE hash = ?',
        [hash],
      );
      if (tenant) {
        return {
          kind: 'tenant',
          hash,
          tenantId: String(tenant.tenant_id),
          keyId: String(tenant.key_id),
          createdAt: String(tenant.created_at),
          expiresAt: String(tenant.expires_at),
        };
      }
      const operator = await database.get(
        'SELECT admin_key_id, created_at, expires_at FROM operator_console_sessions WHERE hash = ?',
        [hash],
      );
      if (!operator) return null;
      return {
        kind: 'operator',
        hash,
        adminKeyId: String(operator.admin_key_id),
        createdAt: String(operator.created_at),
        expiresAt: String(operator.expires_at),
      };
    },

    async deleteConsoleSession(session: ConsoleSessionRecord) {
      const result =
        session.kind === 'tenant'
          ? await database
              .forTenant(session.tenantId)
              .run('DELETE FROM console_sessions WHERE tenant_id = ? AND hash = ?', [session.tenantId, session.hash])
          : await database.run('DELETE FROM operator_console_sessions WHERE hash = ?', [session.hash]);
      return result.changes > 0;
    },
  };
}

import type { AdminKeyRecord, ApiKeyRecord } from '../core/auth/api-key-record.ts';
import type { Scope } from '../core/auth/principal.ts';
import type { AdminStorage, CredentialLookup, Storage } from '../core/ports.ts';
import type { LimitSettings } from '../core/tenants/tenant-config.ts';
import type { SqlClient, SqlDatabase, SqlRow } from './sql-database.ts';

const KEY_COLUMNS = 'tenant_id, id, name, prefix, scopes, limits, expires_at, last_used_at, revoked_at, created_at';

const nullable = (value: SqlRow[string] | undefined): string | null => (value == null ? null : String(value));

function toApiKey(row: SqlRow): ApiKeyRecord {
  return {
    id: String(row.id),
    tenantId: String(row.tenant_id),
    name: String(row.name),
    prefix: String(row.prefix),
    scopes: JSON.parse(String(row.scopes)) as Scope[],
    limits: row.limits == null ? null : (JSON.parse(String(row.limits)) as LimitSettings),
    expiresAt: nullable(row.expires_at),
    lastUsedAt: nullable(row.last_used_at),
    revokedAt: nullable(row.revoked_at),
    createdAt: String(row.created_at),
  };
}

function toAdminKey(row: SqlRow): AdminKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    revokedAt: nullable(row.revoked_at),
    createdAt: String(row.created_at),
  };
}

type IdentityMethods = Pick<Storage, 'createApiKey' | 'listApiKeys' | 'getApiKey' | 'revokeApiKey' | 'touchApiKey'> &
  Pick<AdminStorage, 'createAdminKey' | 'listAdminKeys' | 'revokeAdminKey'> &
  CredentialLookup;

/**
 * Where admin keys are written. On SQLite, the database itself. On PostgreSQL `admin_keys` is
 * owner-only (migration 9): `asOwner` runs the work on a connection as the owner role
 * (`DATABASE_MIGRATION_URL`), and throws when none is configured.
 */
export type AsOwner = <T>(work: (owner: SqlClient) => Promise<T>) => Promise<T>;

/** API keys, admin keys and the credential lookup. Only hashes are stored, never a key. */
export function createSqlIdentity(database: SqlDatabase, now: () => Date, asOwner?: AsOwner): IdentityMethods {
  const postgres = database.dialect === 'postgres';
  const ownerWork: AsOwner = asOwner ?? ((work) => work(database));
  return {
    async createApiKey(tenantId, key) {
      const createdAt = now().toISOString();
      await database
        .forTenant(tenantId)
        .run(
          'INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, limits, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            tenantId,
            key.id,
            key.name,
            key.prefix,
            key.hash,
            JSON.stringify(key.scopes),
            key.limits ? JSON.stringify(key.limits) : null,
            key.expiresAt,
            createdAt,
          ],
        );
      return { ...key, tenantId, lastUsedAt: null, revokedAt: null, createdAt };
    },

    async listApiKeys(tenantId, { limit, afterId }) {
      const rows = await database
        .forTenant(tenantId)
        .all(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, [
          tenantId,
          afterId ?? '',
          limit,
        ]);
      return rows.map(toApiKey);
    },

    async getApiKey(tenantId, keyId) {
      const row = await database
        .forTenant(tenantId)
        .get(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? AND id = ?`, [tenantId, keyId]);
      return row ? toApiKey(row) : null;
    },

    async revokeApiKey(tenantId, keyId) {
      const result = await database
        .forTenant(tenantId)
        .run('UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL', [
          now().toISOString(),
          tenantId,
          keyId,
        ]);
      return result.changes > 0;
    },

    async touchApiKey(tenantId, keyId, at) {
      await database
        .forTenant(tenantId)
        .run('UPDATE api_keys SET last_used_at = ? WHERE tenant_id = ? AND id = ?', [at, tenantId, keyId]);
    },

    async createAdminKey({ id, name, hash }) {
      const createdAt = now().toISOString();
      await ownerWork((owner) =>
        owner.run('INSERT INTO admin_keys (id, name, hash, created_at) VALUES (?, ?, ?, ?)', [
          id,
          name,
          hash,
          createdAt,
        ]),
      );
      return { id, name, revokedAt: null, createdAt };
    },

    async listAdminKeys() {
      // Never the hashes: the runtime role lists through a function that does not return them.
      const rows = await database.all(
        postgres
          ? 'SELECT id, name, revoked_at, created_at FROM enclave_list_admin_keys()'
          : 'SELECT id, name, revoked_at, created_at FROM admin_keys ORDER BY id',
      );
      return rows.map(toAdminKey);
    },

    async revokeAdminKey(keyId) {
      const result = await ownerWork((owner) =>
        owner.run('UPDATE admin_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
          now().toISOString(),
          keyId,
        ]),
      );
      return result.changes > 0;
    },

    async findByHash(hash) {
      // A presented key names no tenant until it is found: on PostgreSQL this is the explicit
      // cross-tenant path (a SECURITY DEFINER function over the hash index), never a disabled policy.
      const key = await database.get(
        database.dialect === 'postgres'
          ? `SELECT ${KEY_COLUMNS} FROM enclave_find_api_key(?)`
          : `SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ?`,
        [hash],
      );
      if (key) return { kind: 'tenant-key', key: toApiKey(key), hash };
      // PostgreSQL: the runtime role may not read admin_keys (owner-only); it asks the function.
      const admin = await database.get(
        postgres
          ? 'SELECT id, name, revoked_at, created_at FROM enclave_find_admin_key(?)'
          : 'SELECT id, name, revoked_at, created_at FROM admin_keys WHERE hash = ?',
        [hash],
      );
      return admin ? { kind: 'admin-key', key: toAdminKey(admin), hash } : null;
    },
  };
}

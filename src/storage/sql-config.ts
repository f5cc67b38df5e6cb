import { AppError } from '../core/errors.ts';
import type { AdminStorage, Storage } from '../core/ports.ts';
import { DEFAULT_TENANT_CONFIG, type TenantConfig, type TenantConfigVersion } from '../core/tenants/tenant-config.ts';
import { nextVersion } from './next-version.ts';
import { toTenant } from './rows.ts';
import type { SqlDatabase, SqlRow } from './sql-database.ts';

const TENANT_COLUMNS_T = 't.id, t.name, t.status, t.config_version, t.created_at, t.updated_at';

function toVersion(row: SqlRow): TenantConfigVersion {
  return {
    version: Number(row.version),
    config: JSON.parse(String(row.config)) as TenantConfig,
    createdBy: String(row.created_by),
    createdAt: String(row.created_at),
  };
}

const DEFAULT_VERSION: TenantConfigVersion = {
  version: 0,
  config: DEFAULT_TENANT_CONFIG,
  createdBy: 'default',
  createdAt: '1970-01-01T00:00:00.000Z',
};

type ConfigMethods = Pick<
  Storage,
  | 'getTenantView'
  | 'getTenantConfig'
  | 'appendTenantConfig'
  | 'listTenantConfigs'
  | 'getTenantConfigVersion'
  | 'newestInlineJwtSecret'
  | 'replaceInlineJwtSecrets'
> &
  Pick<AdminStorage, 'listTenantsWithInlineJwtSecrets'>;

/** The inline JWT signing secret a stored config holds, if any (configs written before secret names). */
function inlineJwtSecret(config: string): string | null {
  const secret = (JSON.parse(config) as { jwt?: { secret?: unknown } | null }).jwt?.secret;
  return typeof secret === 'string' ? secret : null;
}

/** Versioned tenant configs: append-only, with `tenants.config_version` naming the current one. */
export function createSqlConfig(database: SqlDatabase, now: () => Date): ConfigMethods {
  return {
    async getTenantView(tenantId) {
      const row = await database.forTenant(tenantId).get(
        `SELECT ${TENANT_COLUMNS_T}, c.version, c.config, c.created_by AS config_created_by, c.created_at AS config_created_at
           FROM tenants t LEFT JOIN tenant_configs c ON c.tenant_id = t.id AND c.version = t.config_version
          WHERE t.id = ?`,
        [tenantId],
      );
      if (!row) return { tenant: null, config: DEFAULT_VERSION };
      const config =
        row.version == null
          ? DEFAULT_VERSION
          : toVersion({ ...row, created_by: row.config_created_by ?? null, created_at: row.config_created_at ?? null });
      return { tenant: toTenant(row), config };
    },

    async getTenantConfig(tenantId) {
      const row = await database.forTenant(tenantId).get(
        `SELECT c.version, c.config, c.created_by, c.created_at FROM tenants t
           JOIN tenant_configs c ON c.tenant_id = t.id AND c.version = t.config_version
          WHERE t.id = ?`,
        [tenantId],
      );
      return row ? toVersion(row) : DEFAULT_VERSION;
    },

    async appendTenantConfig(tenantId, config, createdBy) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const createdAt = now().toISOString();
        // `tenants.config_version` is the counter: never max(version) + 1 (see nextVersion).
        const version = await nextVersion(client, {
          table: 'tenants',
          column: 'config_version',
          where: 'id = ?',
          params: [tenantId],
          alsoSet: { updated_at: createdAt },
        });
        if (version === null) throw new AppError('TENANT_NOT_FOUND');
        await client.run(
          'INSERT INTO tenant_configs (tenant_id, version, config, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
          [tenantId, version, JSON.stringify(config), createdBy, createdAt],
        );
        return { version, config, createdBy, createdAt };
      });
    },

    async listTenantConfigs(tenantId, { limit, beforeVersion }) {
      const rows = await database
        .forTenant(tenantId)
        .all(
          'SELECT version, config, created_by, created_at FROM tenant_configs WHERE tenant_id = ? AND version < ? ORDER BY version DESC LIMIT ?',
          [tenantId, beforeVersion ?? Number.MAX_SAFE_INTEGER, limit],
        );
      return rows.map(toVersion);
    },

    async newestInlineJwtSecret(tenantId) {
      const rows = await database
        .forTenant(tenantId)
        .all<{ version: number; config: string }>(
          'SELECT version, config FROM tenant_configs WHERE tenant_id = ? ORDER BY version DESC',
          [tenantId],
        );
      for (const row of rows) {
        const secret = inlineJwtSecret(String(row.config));
        if (secret !== null) return { version: Number(row.version), secret };
      }
      return null;
    },

    async replaceInlineJwtSecrets(tenantId, secretName) {
      return database.forTenant(tenantId).transaction(async (client) => {
        const rows = await client.all<{ version: number; config: string }>(
          'SELECT version, config FROM tenant_configs WHERE tenant_id = ?',
          [tenantId],
        );
        let changed = 0;
        for (const row of rows) {
          const config = JSON.parse(String(row.config)) as TenantConfig;
          if (typeof config.jwt?.secret !== 'string') continue;
          const { secret: _moved, ...trust } = config.jwt;
          await client.run('UPDATE tenant_configs SET config = ? WHERE tenant_id = ? AND version = ?', [
            JSON.stringify({ ...config, jwt: { ...trust, secretName } }),
            tenantId,
            row.version,
          ]);
          changed += 1;
        }
        return changed;
      });
    },

    async listTenantsWithInlineJwtSecrets(limit) {
      // Crosses tenants: on PostgreSQL through the explicit SECURITY DEFINER function (migration 9).
      const rows = await database.all<{ tenant_id: string }>(
        database.dialect === 'postgres'
          ? 'SELECT tenant_id FROM enclave_tenants_with_inline_jwt_secrets() ORDER BY tenant_id LIMIT ?'
          : `SELECT DISTINCT tenant_id FROM tenant_configs WHERE json_extract(config, '$.jwt.secret') IS NOT NULL
              ORDER BY tenant_id LIMIT ?`,
        [limit],
      );
      return rows.map((row) => String(row.tenant_id));
    },

    async getTenantConfigVersion(tenantId, version) {
      const row = await database
        .forTenant(tenantId)
        .get('SELECT version, config, created_by, created_at FROM tenant_configs WHERE tenant_id = ? AND version = ?', [
          tenantId,
          version,
        ]);
      return row ? toVersion(row) : null;
    },
  };
}

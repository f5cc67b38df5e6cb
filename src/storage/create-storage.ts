import type { McpOAuthStore } from '../core/mcp/mcp-oauth-store.ts';
import type { McpServerStore } from '../core/mcp/mcp-server-store.ts';
import type { AdminStorage, ConsoleSessionStore, CredentialLookup, Storage } from '../core/ports.ts';
import type { IdempotencyStore } from '../core/turns/idempotency.ts';
import { type Migration, type MigrationResult, migrate } from './migrate.ts';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.ts';
import { assertRuntimeRole, DatabaseSetupError, redactUrl } from './postgres/roles.ts';
import type { SqlDatabase } from './sql-database.ts';
import type { AsOwner } from './sql-identity.ts';
import { createSqlMcpOAuth } from './sql-mcp-oauth.ts';
import { createSqlMcpServers } from './sql-mcp-servers.ts';
import { createSqlStorage } from './sql-storage.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.ts';
import { openSqlite } from './sqlite/open-sqlite.ts';

export interface DatabaseOptions {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
  databaseUrl: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** PostgreSQL: the owner role that runs migrations; defaults to `databaseUrl`. */
  databaseMigrationUrl?: string | undefined;
  /** PostgreSQL: most pooled connections. */
  databasePoolMax?: number;
  /** PostgreSQL: statement timeout in milliseconds (0 = none). */
  databaseStatementTimeoutMs?: number;
  /** SQLite: where a failure of background work (the write-ahead log's flush) is reported. */
  onBackgroundError?: (error: Error, message: string) => void;
}

export interface StorageOptions extends DatabaseOptions {
  /** Run pending migrations before returning (the server does; `enclave migrate` does it explicitly). */
  migrate: boolean;
}

export interface OpenedStorage {
  storage: Storage;
  admin: AdminStorage;
  credentials: CredentialLookup;
  /** Web console sessions (crosses tenants to find a cookie, like `credentials`). */
  consoleSessions: ConsoleSessionStore;
  /** Idempotency keys of turn requests (tenant-scoped, like `storage`). */
  idempotency: IdempotencyStore;
  /** OAuth grants of tenant MCP servers (tenant-scoped, like `storage`). */
  mcpOAuth: McpOAuthStore;
  /** Tenant MCP servers and per-user credentials (tenant-scoped, like `storage`). */
  mcpServers: McpServerStore;
  migration: MigrationResult | null;
  /** Connection pool figures (PostgreSQL), or null. */
  poolStats: () => { total: number; idle: number; waiting: number } | null;
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** Opens the database; the PostgreSQL driver (`pg`) is loaded only for a PostgreSQL URL. */
export async function openDatabase(options: DatabaseOptions, url = options.databaseUrl): Promise<SqlDatabase> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres/open-postgres.ts');
    return openPostgres({
      url,
      poolMax: options.databasePoolMax ?? 10,
      statementTimeoutMs: options.databaseStatementTimeoutMs ?? 30_000,
    });
  }
  if (!url.startsWith('sqlite:')) {
    throw new Error(`Unsupported DATABASE_URL ${redactUrl(url)}: use sqlite:PATH, sqlite::memory: or postgres://…`);
  }
  return openSqlite({
    path: url.slice('sqlite:'.length),
    synchronous: options.sqliteSynchronous,
    ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
  });
}

export function migrationsFor(database: SqlDatabase): readonly Migration[] {
  return database.dialect === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
}

/** Applies pending migrations; on PostgreSQL as the owner role (`databaseMigrationUrl`). */
export async function migrateDatabase(options: DatabaseOptions): Promise<MigrationResult> {
  const url = isPostgresUrl(options.databaseUrl)
    ? (options.databaseMigrationUrl ?? options.databaseUrl)
    : options.databaseUrl;
  const database = await openDatabase({ ...options, databasePoolMax: 1 }, url);
  try {
    return await migrate(database, migrationsFor(database));
  } finally {
    await database.close();
  }
}

/** Refuses a PostgreSQL schema that is behind this server's migrations (run `enclave migrate` as the owner). */
async function assertSchemaCurrent(database: SqlDatabase, migrations: readonly Migration[]): Promise<void> {
  const needed = Math.max(...migrations.map((migration) => migration.version));
  let current = 0;
  try {
    const row = await database.get<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    current = Number(row?.version ?? 0);
  } catch {
    // No schema_migrations table yet: nothing has been migrated.
  }
  if (current < needed) {
    throw new DatabaseSetupError(
      `the database schema is at version ${current} and this server needs ${needed}: run \`enclave migrate\` with ` +
        'DATABASE_MIGRATION_URL set to the owner role (or set it for the server, which then migrates at start).',
    );
  }
}

/**
 * PostgreSQL: runs one piece of platform work (creating or revoking an admin key) on a short-lived
 * connection as the owner role, since the runtime role may not write `admin_keys`. Without
 * `DATABASE_MIGRATION_URL` (the replicas' usual setup) it refuses with the fix.
 */
function ownerConnection(options: DatabaseOptions): AsOwner {
  return async (work) => {
    if (!options.databaseMigrationUrl) {
      throw new DatabaseSetupError(
        'admin keys are created and revoked as the owner role on PostgreSQL: set DATABASE_MIGRATION_URL to the owner ' +
          '(as for `enclave migrate`) for this command.',
      );
    }
    const owner = await openDatabase({ ...options, databasePoolMax: 1 }, options.databaseMigrationUrl);
    try {
      return await owner.transaction(work);
    } finally {
      await owner.close();
    }
  };
}

/**
 * Opens the database named by the URL, migrates it when asked, and returns both ports. On
 * PostgreSQL it refuses a runtime role that row-level security would not bind.
 */
export async function createStorage(options: StorageOptions): Promise<OpenedStorage> {
  const postgres = isPostgresUrl(options.databaseUrl);
  // PostgreSQL migrates as the owner role when one is configured. Without it the runtime role
  // cannot (and must not) change the schema: the server then only checks it is current.
  const migration = options.migrate && postgres && options.databaseMigrationUrl ? await migrateDatabase(options) : null;
  const database = await openDatabase(options);
  try {
    if (postgres) {
      await assertRuntimeRole(database);
      if (options.migrate && !options.databaseMigrationUrl) await assertSchemaCurrent(database, POSTGRES_MIGRATIONS);
    }
    const sqliteMigration = options.migrate && !postgres ? await migrate(database, SQLITE_MIGRATIONS) : null;
    const storage = createSqlStorage(database, postgres ? { asOwner: ownerConnection(options) } : {});
    return {
      storage,
      admin: storage,
      credentials: storage,
      consoleSessions: storage,
      idempotency: storage,
      mcpOAuth: createSqlMcpOAuth(database),
      mcpServers: createSqlMcpServers(database),
      migration: migration ?? sqliteMigration,
      poolStats: () => database.poolStats(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

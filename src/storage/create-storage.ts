import type { AdminStorage, CredentialLookup, Storage } from '../core/ports.ts';
import { type Migration, type MigrationResult, migrate } from './migrate.ts';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.ts';
import { openPostgres } from './postgres/open-postgres.ts';
import { assertRuntimeRole, redactUrl } from './postgres/roles.ts';
import type { SqlDatabase } from './sql-database.ts';
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
}

export interface StorageOptions extends DatabaseOptions {
  /** Run pending migrations before returning (the server does; `enclave migrate` does it explicitly). */
  migrate: boolean;
}

export interface OpenedStorage {
  storage: Storage;
  admin: AdminStorage;
  credentials: CredentialLookup;
  migration: MigrationResult | null;
  /** Connection pool figures (PostgreSQL), or null. */
  poolStats: () => { total: number; idle: number; waiting: number } | null;
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

export function openDatabase(options: DatabaseOptions, url = options.databaseUrl): SqlDatabase {
  if (isPostgresUrl(url)) {
    return openPostgres({
      url,
      poolMax: options.databasePoolMax ?? 10,
      statementTimeoutMs: options.databaseStatementTimeoutMs ?? 30_000,
    });
  }
  if (!url.startsWith('sqlite:')) {
    throw new Error(`Unsupported DATABASE_URL ${redactUrl(url)}: use sqlite:PATH, sqlite::memory: or postgres://…`);
  }
  return openSqlite({ path: url.slice('sqlite:'.length), synchronous: options.sqliteSynchronous });
}

export function migrationsFor(database: SqlDatabase): readonly Migration[] {
  return database.dialect === 'postgres' ? POSTGRES_MIGRATIONS : SQLITE_MIGRATIONS;
}

/** Applies pending migrations; on PostgreSQL as the owner role (`databaseMigrationUrl`). */
export async function migrateDatabase(options: DatabaseOptions): Promise<MigrationResult> {
  const url = isPostgresUrl(options.databaseUrl)
    ? (options.databaseMigrationUrl ?? options.databaseUrl)
    : options.databaseUrl;
  const database = openDatabase({ ...options, databasePoolMax: 1 }, url);
  try {
    return await migrate(database, migrationsFor(database));
  } finally {
    await database.close();
  }
}

/**
 * Opens the database named by the URL, migrates it when asked, and returns both ports. On
 * PostgreSQL it refuses a runtime role that row-level security would not bind.
 */
export async function createStorage(options: StorageOptions): Promise<OpenedStorage> {
  const postgres = isPostgresUrl(options.databaseUrl);
  // SQLite migrates on its own connection (an in-memory database exists only there).
  const migration = options.migrate && postgres ? await migrateDatabase(options) : null;
  const database = openDatabase(options);
  try {
    if (postgres) await assertRuntimeRole(database);
    const sqliteMigration = options.migrate && !postgres ? await migrate(database, SQLITE_MIGRATIONS) : null;
    const storage = createSqlStorage(database);
    return {
      storage,
      admin: storage,
      credentials: storage,
      migration: migration ?? sqliteMigration,
      poolStats: () => database.poolStats(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

import type { AdminStorage, CredentialLookup, Storage } from '../core/ports.ts';
import { type MigrationResult, migrate } from './migrate.ts';
import type { SqlDatabase } from './sql-database.ts';
import { createSqlStorage } from './sql-storage.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.ts';
import { openSqlite } from './sqlite/open-sqlite.ts';

export interface StorageOptions {
  /** `sqlite:PATH` or `sqlite::memory:`. */
  databaseUrl: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Run pending migrations before returning (the server does; `enclave migrate` does it explicitly). */
  migrate: boolean;
}

export interface OpenedStorage {
  storage: Storage;
  admin: AdminStorage;
  credentials: CredentialLookup;
  migration: MigrationResult | null;
}

export function openDatabase(options: Omit<StorageOptions, 'migrate'>): SqlDatabase {
  if (!options.databaseUrl.startsWith('sqlite:')) {
    throw new Error(`Unsupported DATABASE_URL ${options.databaseUrl}: use sqlite:PATH or sqlite::memory:`);
  }
  return openSqlite({ path: options.databaseUrl.slice('sqlite:'.length), synchronous: options.sqliteSynchronous });
}

/** Opens the database named by the URL, migrates it when asked, and returns both ports. */
export async function createStorage(options: StorageOptions): Promise<OpenedStorage> {
  const database = openDatabase(options);
  const migration = options.migrate ? await migrate(database, SQLITE_MIGRATIONS) : null;
  const storage = createSqlStorage(database);
  return { storage, admin: storage, credentials: storage, migration };
}

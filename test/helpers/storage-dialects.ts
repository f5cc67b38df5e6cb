import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresAvailable } from './postgres.ts';

/** A database opened for one test: its URLs (PostgreSQL: the runtime role and the owner) and its removal. */
export interface OpenedDatabase {
  databaseUrl: string;
  databaseMigrationUrl?: string;
  cleanup(): Promise<void>;
}

export interface StorageDialect {
  name: 'sqlite' | 'postgres';
  /** A fresh database, or null when PostgreSQL does not answer (the test then skips, with a notice). */
  open(): Promise<OpenedDatabase | null>;
}

/**
 * Every dialect a storage test runs against: a SQLite file in its own temporary folder (named
 * `prefix`), and a fresh PostgreSQL database with its owner and runtime roles (required in CI).
 */
export function storageDialects(prefix: string): StorageDialect[] {
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), `enclave-${prefix}-`));
        return {
          databaseUrl: `sqlite:${join(dir, `${prefix}.db`)}`,
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
    {
      name: 'postgres',
      async open() {
        if (!(await postgresAvailable())) return null;
        const database = await createTestDatabase();
        return { databaseUrl: database.url, databaseMigrationUrl: database.migrationUrl, cleanup: database.drop };
      },
    },
  ];
}

import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { createTestDatabase, postgresAvailable } from './postgres.ts';

/** The databases end-to-end tests run on: each spawned-server test runs once per dialect. */
export const E2E_DIALECTS = ['sqlite', 'postgres'] as const;
export type E2eDialect = (typeof E2E_DIALECTS)[number];

export interface E2eDatabase {
  /** Environment for `spawnServer`: DATABASE_URL (and the migration URL on PostgreSQL). */
  env: Record<string, string>;
  /** Reads the database behind the server's back (read-only use; a superuser on PostgreSQL). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

/**
 * A fresh database for one end-to-end test: a SQLite file in `dir`, or a PostgreSQL database with
 * its own owner and runtime roles. Null when PostgreSQL is absent on a laptop (a notice is printed;
 * in CI that is an error).
 */
export async function e2eDatabase(dialect: E2eDialect, dir: string): Promise<E2eDatabase | null> {
  if (dialect === 'sqlite') {
    const path = join(dir, 'enclave.db');
    return {
      env: { DATABASE_URL: `sqlite:${path}` },
      async query(sql) {
        const database = new DatabaseSync(path, { readOnly: true });
        try {
          return database.prepare(sql).all() as Record<string, unknown>[];
        } finally {
          database.close();
        }
      },
      cleanup: async () => {},
    };
  }
  if (!(await postgresAvailable())) return null;
  const database = await createTestDatabase();
  const client = new pg.Client({ connectionString: database.superuserUrl });
  await client.connect();
  client.on('error', () => {});
  return {
    env: { DATABASE_URL: database.url, DATABASE_MIGRATION_URL: database.migrationUrl },
    query: async (sql) => (await client.query(sql)).rows,
    async cleanup() {
      await client.end();
      await database.drop();
    },
  };
}

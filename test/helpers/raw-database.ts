import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { TestApp } from './test-app.ts';

export interface RawDatabase {
  all(sql: string): Promise<Record<string, unknown>[]>;
  /** Tables with a `tenant_id` column (including derived ones such as PostgreSQL's `api_key_lookup`). */
  tenantTables(): Promise<string[]>;
  close(): Promise<void>;
}

/** Same number parsing as the server, so stored rows compare equal to what the API returns. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  },
};

/** The app's database opened behind its back (a superuser on PostgreSQL), for checks on stored rows. */
export async function openRawDatabase(app: TestApp): Promise<RawDatabase> {
  if (app.postgres) {
    const client = new pg.Client({ connectionString: app.postgres.superuserUrl, types });
    await client.connect();
    // The test database is dropped WITH (FORCE) at the end, which ends this connection if a failed test left it open.
    client.on('error', () => {});
    return {
      all: async (sql) => (await client.query(sql)).rows,
      tenantTables: async () =>
        (
          await client.query(
            "SELECT DISTINCT table_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY 1",
          )
        ).rows.map((row) => String(row.name)),
      close: () => client.end(),
    };
  }
  const database = new DatabaseSync(join(app.dir, 'enclave.db'), { readOnly: true });
  return {
    all: async (sql) => database.prepare(sql).all() as Record<string, unknown>[],
    tenantTables: async () =>
      (
        database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
          name: string;
        }[]
      )
        .map((row) => row.name)
        .filter((name) =>
          (database.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]).some(
            (column) => column.name === 'tenant_id',
          ),
        ),
    close: async () => database.close(),
  };
}

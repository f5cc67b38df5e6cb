import type { SqlClient, SqlDatabase } from './sql-database.ts';

/** Key of the PostgreSQL advisory lock that serialises migrations. */
const MIGRATION_LOCK = 4_242_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  applied: { version: number; name: string }[];
  current: number;
}

/**
 * Applies every migration newer than the recorded version, each in its own transaction,
 * and records it in `schema_migrations`. Safe to run concurrently and repeatedly.
 */
export async function migrate(database: SqlDatabase, migrations: readonly Migration[]): Promise<MigrationResult> {
  const postgres = database.dialect === 'postgres';
  // PostgreSQL: concurrent migrators (replicas starting together) queue on one advisory lock.
  const lock = (client: SqlClient) => (postgres ? client.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`) : null);
  await database.transaction(async (client) => {
    await lock(client);
    await client.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
  });
  const applied: MigrationResult['applied'] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await database.transaction(async (client) => {
      await lock(client);
      const row = await client.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (row) return false;
      // PostgreSQL takes the script whole (function bodies hold semicolons); SQLite one statement at a time.
      const statements = postgres ? [migration.sql] : splitStatements(migration.sql);
      for (const statement of statements) await client.run(statement);
      await client.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      return true;
    });
    if (done) applied.push({ version: migration.version, name: migration.name });
  }
  const last = await database.get<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return { applied, current: Number(last?.version ?? 0) };
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

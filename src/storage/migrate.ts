import type { SqlDatabase } from './sql-database.ts';

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
  await database.run(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied: MigrationResult['applied'] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await database.transaction(async (client) => {
      const row = await client.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (row) return false;
      for (const statement of splitStatements(migration.sql)) await client.run(statement);
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

import type { Config } from '../../config/config-schema.ts';
import { openDatabase } from '../../storage/create-storage.ts';
import { migrate } from '../../storage/migrate.ts';
import { SQLITE_MIGRATIONS } from '../../storage/sqlite/migrations.ts';
import type { Output } from '../output.ts';

/** `enclave migrate`: applies pending migrations (the server also does this at start). */
export async function migrateCommand(config: Config, out: Output): Promise<void> {
  const database = openDatabase(config);
  try {
    const result = await migrate(database, SQLITE_MIGRATIONS);
    if (result.applied.length === 0) out.line(`Database is up to date (version ${result.current}).`);
    for (const { version, name } of result.applied) out.line(`Applied ${version} ${name}`);
    out.json(result);
  } finally {
    await database.close();
  }
}

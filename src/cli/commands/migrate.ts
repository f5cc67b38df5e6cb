import type { Config } from '../../config/config-schema.ts';
import { migrateDatabase } from '../../storage/create-storage.ts';
import type { Output } from '../output.ts';

/** `enclave migrate`: applies pending migrations (the server also does this at start). */
export async function migrateCommand(config: Config, out: Output): Promise<void> {
  // On PostgreSQL this runs as the owner role (DATABASE_MIGRATION_URL, or DATABASE_URL when unset).
  const result = await migrateDatabase(config);
  if (result.applied.length === 0) out.line(`Database is up to date (version ${result.current}).`);
  for (const { version, name } of result.applied) out.line(`Applied ${version} ${name}`);
  out.json(result);
}

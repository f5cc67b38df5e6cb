import type { Config } from '../../config/config-schema.ts';
import { isPostgresUrl } from '../../storage/create-storage.ts';
import { initRoles } from '../../storage/postgres/roles.ts';
import type { Output } from '../output.ts';
import type { ParsedArgs } from '../parse-args.ts';
import { UsageError } from '../usage-error.ts';

/**
 * `enclave db init --superuser-url URL`: creates the PostgreSQL owner role (from
 * DATABASE_MIGRATION_URL) and runtime role (from DATABASE_URL) with their grants. Run it once per
 * database, as a superuser, before the first `enclave migrate`; running it again is harmless.
 */
export async function dbCommand(config: Config, args: ParsedArgs, out: Output): Promise<void> {
  const action = args.positionals[1];
  if (action !== 'init') throw new UsageError(`Unknown db action: ${action ?? '(none)'}`);
  const superuserUrl = args.options['superuser-url'];
  if (!superuserUrl || !isPostgresUrl(superuserUrl)) {
    throw new UsageError('db init needs --superuser-url postgres://… (a superuser on the target database)');
  }
  if (!isPostgresUrl(config.databaseUrl) || !config.databaseMigrationUrl) {
    throw new UsageError(
      'db init needs DATABASE_URL (the runtime role) and DATABASE_MIGRATION_URL (the owner role), both postgres:// URLs',
    );
  }
  const result = await initRoles({
    superuserUrl,
    migrationUrl: config.databaseMigrationUrl,
    runtimeUrl: config.databaseUrl,
  });
  out.line(
    `Database ${result.database}: owner role "${result.owner}" (migrations) and runtime role "${result.runtime}" are ready.`,
  );
  out.line('Next: enclave migrate (runs as the owner), then enclave serve (runs as the runtime role).');
  out.json(result);
}

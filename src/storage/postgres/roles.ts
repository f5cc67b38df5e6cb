import type { SqlDatabase } from '../sql-database.ts';

/** The role a connection URL logs in as, and its password (may be empty with trust or peer auth). */
function roleOf(url: string): { name: string; password: string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.username);
  if (!name) throw new Error(`the URL ${redactUrl(url)} names no user`);
  return { name, password: decodeURIComponent(parsed.password) };
}

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export interface RoleSetup {
  /** A superuser (or CREATEROLE role) URL on the target database. */
  superuserUrl: string;
  /** The owner role: runs migrations and owns every table. */
  migrationUrl: string;
  /** The runtime role the server connects as. */
  runtimeUrl: string;
}

/**
 * Platform tables the runtime role may not touch directly (PostgreSQL migration 9 revokes its
 * grant): `admin_keys`, since a role that could insert there could mint an admin key. The server
 * looks keys up through `enclave_find_admin_key(hash)`; they are created and revoked as the owner.
 */
export const OWNER_ONLY_TABLES: readonly string[] = ['admin_keys'];

/**
 * `enclave db init`: creates (or corrects) the two roles named by the URLs and grants exactly what
 * each needs. Both are NOSUPERUSER and NOBYPASSRLS; the runtime role gets data access (SELECT,
 * INSERT, UPDATE, DELETE) on the owner's tables, except `OWNER_ONLY_TABLES`, and nothing else, so
 * it can neither change the schema nor the policies. Safe to run again (and run it again after a
 * restore: it takes back the default privileges' grant on the owner-only tables).
 */
export async function initRoles(setup: RoleSetup): Promise<{ owner: string; runtime: string; database: string }> {
  const owner = roleOf(setup.migrationUrl);
  const runtime = roleOf(setup.runtimeUrl);
  if (owner.name === runtime.name) {
    throw new Error('DATABASE_URL and DATABASE_MIGRATION_URL must name different roles (runtime and owner)');
  }
  // Loaded here, not at the top: the CLI imports this module's errors, and SQLite must not load pg.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: setup.superuserUrl });
  await client.connect();
  try {
    const id = (name: string) => client.escapeIdentifier(name);
    const literal = (value: string) => client.escapeLiteral(value);
    const database = String((await client.query('SELECT current_database() AS name')).rows[0].name);
    const schema = String((await client.query('SELECT current_schema() AS name')).rows[0].name);
    for (const role of [owner, runtime]) {
      const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name])).rowCount;
      const password = role.password ? `PASSWORD ${literal(role.password)}` : '';
      await client.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${id(role.name)} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE ${password}`,
      );
    }
    // The runtime role must never act as the owner (the owner may cross tenants through its functions).
    if (
      (await client.query('SELECT pg_has_role($1, $2, $3) AS member', [runtime.name, owner.name, 'MEMBER'])).rows[0]
        .member
    ) {
      await client.query(`REVOKE ${id(owner.name)} FROM ${id(runtime.name)}`);
    }
    await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${id(database)} TO ${id(owner.name)}`);
    await client.query(`GRANT CONNECT ON DATABASE ${id(database)} TO ${id(runtime.name)}`);
    await client.query(`GRANT USAGE, CREATE ON SCHEMA ${id(schema)} TO ${id(owner.name)}`);
    await client.query(`GRANT USAGE ON SCHEMA ${id(schema)} TO ${id(runtime.name)}`);
    await client.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${id(owner.name)} IN SCHEMA ${id(schema)} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${id(runtime.name)}`,
    );
    // Tables migrated before this ran (owned by the owner) get the same grant, except the
    // owner-only platform tables: the runtime role reaches those through SECURITY DEFINER functions.
    const tables = await client.query('SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tableowner = $2', [
      schema,
      owner.name,
    ]);
    for (const { tablename } of tables.rows) {
      const table = `${id(schema)}.${id(String(tablename))}`;
      if (OWNER_ONLY_TABLES.includes(String(tablename))) {
        // Also undoes the default privileges' grant on a table restored after `db init` ran.
        await client.query(`REVOKE ALL ON ${table} FROM ${id(runtime.name)}`);
      } else {
        await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${id(runtime.name)}`);
      }
    }
    return { owner: owner.name, runtime: runtime.name, database };
  } finally {
    await client.end();
  }
}

/** The database is not set up for this server: the message says what to run. Printed without a stack. */
export class DatabaseSetupError extends Error {
  override name = 'DatabaseSetupError';
}

/** The runtime role is one that row-level security would not bind. */
export class UnsafeRoleError extends DatabaseSetupError {
  override name = 'UnsafeRoleError';
}

/**
 * The server refuses to run as a role that row-level security would not bind: a superuser, a
 * BYPASSRLS role, or the owner of the tables (or a member of it); and, once migration 9 made
 * `admin_keys` owner-only, as a role that can still write it (a database restored after
 * `enclave db init` ran: running it again revokes the grant).
 */
export async function assertRuntimeRole(database: SqlDatabase): Promise<void> {
  const row = await database.get<{
    name: string;
    superuser: number;
    bypass: number;
    owner: number;
    admin_writer: number;
  }>(
    `SELECT r.rolname AS name, r.rolsuper::int AS superuser, r.rolbypassrls::int AS bypass,
            EXISTS (SELECT 1 FROM pg_tables t
                     WHERE t.schemaname = current_schema() AND t.tablename = 'messages'
                       AND pg_has_role(current_user, t.tableowner, 'MEMBER'))::int AS owner,
            CASE WHEN to_regprocedure('enclave_find_admin_key(text)') IS NULL THEN 0
                 ELSE has_table_privilege(current_user, 'admin_keys', 'INSERT, UPDATE, DELETE')::int END AS admin_writer
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  if (!row) throw new Error('could not read the database role');
  const unbound = 'so row-level security would not isolate tenants';
  const reason = row.superuser
    ? `is a superuser, ${unbound}`
    : row.bypass
      ? `has BYPASSRLS, ${unbound}`
      : row.owner
        ? `owns the tables, ${unbound}`
        : row.admin_writer
          ? 'can write admin_keys, so a foothold as that role could mint an admin key (run `enclave db init` again: it revokes that)'
          : null;
  if (reason) {
    throw new UnsafeRoleError(
      `refusing to start: the database role "${row.name}" ${reason}. ` +
        'Connect DATABASE_URL as the runtime role and run migrations with DATABASE_MIGRATION_URL (see `enclave db init`).',
    );
  }
}

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { initRoles } from '../../src/storage/postgres/roles.ts';
import { reachable } from './reachable.ts';

const SUPERUSER_URL = process.env.ENCLAVE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** The runtime role (non-owner, NOSUPERUSER, NOBYPASSRLS): what the server connects as. */
  url: string;
  /** The owner role: runs migrations. */
  migrationUrl: string;
  /** A superuser on this database, for checks a test makes behind the server's back. */
  superuserUrl: string;
  name: string;
  drop(): Promise<void>;
}

let available: Promise<boolean> | null = null;

/**
 * Whether PostgreSQL tests run. In CI (`CI=true`) an unreachable server is an error: those tests
 * are required there. On a laptop without PostgreSQL they skip with a printed notice.
 */
export async function postgresAvailable(): Promise<boolean> {
  available ??= reachable(new URL(SUPERUSER_URL), 5432).then((ok) => {
    if (ok) return true;
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI but ${SUPERUSER_URL} does not answer`);
    console.warn(`[skip] PostgreSQL tests: ${SUPERUSER_URL} does not answer (start PostgreSQL to run them)`);
    return false;
  });
  return available;
}

const withDatabase = (url: string, database: string, user?: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  return parsed.toString();
};

async function superuserQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SUPERUSER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database with its own owner and runtime roles, set up by `enclave db init`'s code, for
 * one test file (or one test). `drop()` removes the database and both roles.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `enclave_t_${randomBytes(5).toString('hex')}`;
  await superuserQuery(`CREATE DATABASE ${name}`);
  const superuserUrl = withDatabase(SUPERUSER_URL, name);
  const migrationUrl = withDatabase(SUPERUSER_URL, name, `${name}_owner`);
  const url = withDatabase(SUPERUSER_URL, name, `${name}_app`);
  await initRoles({ superuserUrl, migrationUrl, runtimeUrl: url });
  return {
    url,
    migrationUrl,
    superuserUrl,
    name,
    async drop() {
      await superuserQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await superuserQuery(`DROP ROLE IF EXISTS ${name}_app`);
      await superuserQuery(`DROP ROLE IF EXISTS ${name}_owner`);
    },
  };
}

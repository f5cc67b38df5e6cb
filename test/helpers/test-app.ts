import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createEnclave, type Enclave } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

export interface TestApp extends Enclave {
  dir: string;
  config: Config;
  /** The PostgreSQL database behind the app (the `postgres` test project), or null on SQLite. */
  postgres: TestDatabase | null;
  /** Closes the app and removes its temporary folder (and its PostgreSQL database). */
  dispose(): Promise<void>;
}

/** Which database the HTTP suites run on: SQLite by default, PostgreSQL in the `postgres` vitest project. */
export const TEST_DIALECT = process.env.ENCLAVE_TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';

/** Apps that share a folder share one PostgreSQL database too (the folder stands for "the deployment"). */
const databases = new Map<string, TestDatabase>();

/** The database settings for a test deployment in `dir`: a SQLite file, or a fresh PostgreSQL database. */
export async function testDatabaseEnv(dir: string): Promise<Record<string, string>> {
  if (TEST_DIALECT === 'sqlite') return { DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}` };
  let database = databases.get(dir);
  if (!database) {
    database = await createTestDatabase();
    databases.set(dir, database);
  }
  return { DATABASE_URL: database.url, DATABASE_MIGRATION_URL: database.migrationUrl, DATABASE_POOL_MAX: '4' };
}

/** Drops the PostgreSQL database of a test deployment, if it has one. */
export async function disposeTestDatabase(dir: string): Promise<void> {
  const database = databases.get(dir);
  databases.delete(dir);
  await database?.drop();
}

/**
 * The real app on a real database (a SQLite file in a fresh temporary folder, or PostgreSQL as the
 * runtime role with row-level security), for `app.inject()` tests.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  /** `simulatedWordDelayMs`: slow simulated replies, for tests that cancel a running turn. */
  options: { dir?: string; simulatedWordDelayMs?: number } = {},
): Promise<TestApp> {
  // A second app on the same folder shares the database, like a second replica.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'enclave-test-'));
  // Load shedding is tested on its own: a test worker's event loop, busy with parallel suites on two
  // cores, must not get ordinary requests answered 503 OVERLOADED.
  const config = loadConfig({
    ...(await testDatabaseEnv(dir)),
    LOG_LEVEL: 'silent',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...env,
  });
  const enclave = await createEnclave(config, {
    logger: process.env.TEST_LOGS === '1',
    ...(options.simulatedWordDelayMs ? { simulatedWordDelayMs: options.simulatedWordDelayMs } : {}),
  });
  return {
    ...enclave,
    dir,
    config,
    postgres: databases.get(dir) ?? null,
    async dispose() {
      await enclave.close();
      if (options.dir) return;
      await disposeTestDatabase(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/config-schema.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createEnclave, type Enclave } from '../../src/server.ts';

export interface TestApp extends Enclave {
  dir: string;
  config: Config;
  /** Closes the app and removes its temporary folder. */
  dispose(): Promise<void>;
}

/** The real app on a real SQLite file in a fresh temporary folder, for `app.inject()` tests. */
export async function createTestApp(
  env: Record<string, string> = {},
  options: { dir?: string } = {},
): Promise<TestApp> {
  // A second app on the same folder shares the database file, like a second replica.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'enclave-test-'));
  const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'enclave.db')}`, LOG_LEVEL: 'silent', ...env });
  const enclave = await createEnclave(config, { logger: false });
  return {
    ...enclave,
    dir,
    config,
    async dispose() {
      await enclave.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { defineConfig } from 'vitest/config';
import { reachable } from './test/helpers/reachable.ts';

const POSTGRES_URL = new URL(process.env.ENCLAVE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres');

const POSTGRES_SKIPS = [
  'test/http/providers-{anthropic,bedrock,failures,http2,no-usage,openai-chat,openai-compatible,openai-responses,portkey}.test.ts',
  'test/http/provider-faults.test.ts',
  'test/http/{websocket-limits,load-shedding,http-timeouts,sse-stream-end,stream-disconnect}.test.ts',
  'test/http/{metrics,metrics-listener,mcp-shutdown,console-static,openapi-document,redis-hung,redis-outage}.test.ts',
];

/** Every test file starts with the loopback-only dial hook: no test may send a packet beyond loopback. */
const shared = { testTimeout: 30_000, hookTimeout: 30_000, setupFiles: ['./test/setup/loopback-only.ts'] };

/**
 * Two projects: everything on the embedded default (SQLite), and the HTTP suites again on
 * PostgreSQL as the runtime role with row-level security. PostgreSQL is required in CI
 * (CI=true); on a laptop without it the second project is left out with a printed notice.
 */
export default defineConfig(async () => {
  const postgres = await reachable(POSTGRES_URL, 5432);
  if (!postgres && process.env.CI === 'true')
    throw new Error(`PostgreSQL is required in CI but ${POSTGRES_URL.host} does not answer`);
  if (!postgres)
    console.warn(`[skip] PostgreSQL HTTP suites: ${POSTGRES_URL.host} does not answer (start PostgreSQL to run them)`);
  return {
    test: {
      // Two cores: end-to-end tests start real servers, so keep parallelism modest.
      maxWorkers: 2,
      projects: [
        { test: { ...shared, name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
        ...(postgres
          ? [
              {
                test: {
                  ...shared,
                  name: 'postgres',
                  include: ['test/http/**/*.test.ts', 'test/e2e/two-replica*.test.ts'],
                  // Run once, on SQLite: they test provider wire formats, HTTP plumbing, metrics and
                  // shutdown, and store nothing a dialect could treat differently (52 s less on 2 cores).
                  exclude: POSTGRES_SKIPS,
                  env: { ENCLAVE_TEST_DIALECT: 'postgres' },
                },
              },
            ]
          : []),
      ],
    },
  };
});

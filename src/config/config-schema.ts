import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every setting Enclave reads at boot. Environment variable names are the keys of
 * `ENV_KEYS`; `.env.example` lists each one with its default.
 */
export const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8000),
  host: z.string().min(1).default('127.0.0.1'),
  databaseUrl: z
    .string()
    .default('sqlite:./data/enclave.db')
    .refine((value) => value.startsWith('sqlite:'), {
      message: 'must be sqlite:PATH or sqlite::memory: (postgres:// arrives with the production-mode issue)',
    }),
  /** SQLite `synchronous` pragma. NORMAL is durable across process crashes in WAL mode; FULL also survives power loss. */
  sqliteSynchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  logFormat: z.enum(['json', 'pretty']).default('json'),
  bodyLimitBytes: positiveInt(1_048_576),
  messageMaxChars: positiveInt(32_000),
  contextBudgetTokens: positiveInt(2_000),
  systemPrompt: z.string().default('You are a helpful assistant.'),
  maxToolSteps: positiveInt(5),
  shutdownTimeoutMs: positiveInt(10_000),
  /** After SIGTERM: how long to keep serving while /readyz reports not ready, so load balancers stop sending first. */
  shutdownDelayMs: z.coerce.number().int().min(0).default(1_000),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable (and matching `--flag`) for each config key. */
export const ENV_KEYS = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  sqliteSynchronous: 'SQLITE_SYNCHRONOUS',
  logLevel: 'LOG_LEVEL',
  logFormat: 'LOG_FORMAT',
  bodyLimitBytes: 'BODY_LIMIT_BYTES',
  messageMaxChars: 'MESSAGE_MAX_CHARS',
  contextBudgetTokens: 'CONTEXT_BUDGET_TOKENS',
  systemPrompt: 'SYSTEM_PROMPT',
  maxToolSteps: 'MAX_TOOL_STEPS',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  shutdownDelayMs: 'SHUTDOWN_DELAY_MS',
} as const satisfies Record<keyof z.infer<typeof configSchema>, string>;

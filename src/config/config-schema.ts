import { z } from 'zod';
import { OutboundAllowSyntaxError, parseOutboundAllow } from '../outbound/outbound-policy.ts';
import { type PlatformMcpServer, platformMcpServersSchema } from './platform-mcp-settings.ts';
import { providersFileSchema, providersJsonSchema } from './provider-settings.ts';

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
    .refine((value) => /^(sqlite:|postgres(ql)?:\/\/)/.test(value), {
      message: 'must be sqlite:PATH, sqlite::memory: or postgres://user:password@host:port/database',
    }),
  /** PostgreSQL: the owner role that runs migrations. Unset means DATABASE_URL. */
  databaseMigrationUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** PostgreSQL: most connections in this process's pool. */
  databasePoolMax: positiveInt(10),
  /** PostgreSQL: server-side statement timeout in milliseconds (0 = none). */
  databaseStatementTimeoutMs: z.coerce.number().int().min(0).default(30_000),
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
  /** `required` or `disabled`; unset means disabled on a loopback bind and required anywhere else. */
  auth: z.enum(['required', 'disabled']).optional(),
  /** Explicit consent to run without authentication on a non-loopback address (anyone who can reach it is any tenant). */
  allowUnauthenticated: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** The operator's admin credential (at least 32 characters). Prefer `enclave admin-key create`, which stores only a hash. */
  adminKey: z.string().min(32, 'must be at least 32 characters').optional(),
  /** 32 bytes, base64: encrypts each tenant's data key (secrets at rest). */
  masterKey: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  /** Platform JWT trust: an HS256 secret or a JWKS URL, with optional issuer and audience. */
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  jwtJwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  jwtIssuer: z.string().min(1).optional(),
  jwtAudience: z.string().min(1).optional(),
  jwtTenantClaim: z.string().min(1).default('tenant_id'),
  jwtScopesClaim: z.string().min(1).default('scope'),
  /** Optional Redis (`redis://…`): limit counters exact across replicas. Without it, counters are per process. */
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  /**
   * Longest wait for one Redis command's answer (ms). A Redis that accepts connections but never
   * answers (hung, paused, a stalled proxy) then fails like a dead one (503 with Retry-After)
   * instead of stalling every request that needs it. Set it above Redis' slowest normal reply.
   */
  redisCommandTimeoutMs: positiveInt(1_000),
  /** Platform LLM providers, a JSON list (docs/providers.md). The built-in `simulated` provider always exists. */
  providers: providersJsonSchema.optional(),
  /** The same list read from a file (instead of ENCLAVE_PROVIDERS). */
  providersFile: providersFileSchema.optional(),
  /** Longest one model call may take, streaming included (ms); then the turn fails with 504 PROVIDER_TIMEOUT. */
  providerTimeoutMs: positiveInt(120_000),
  /** Longest time to receive a whole request, headers and body (ms; 0 = none). Responses, SSE streams included, are not limited. */
  httpRequestTimeoutMs: z.coerce.number().int().min(0).default(30_000),
  /** Longest time to receive the request headers (ms); at most HTTP_REQUEST_TIMEOUT_MS when that is set. */
  httpHeadersTimeoutMs: positiveInt(10_000),
  /** How long an idle keep-alive connection stays open (ms); keep it above the load balancer's idle timeout. */
  httpKeepAliveTimeoutMs: positiveInt(72_000),
  /** Socket inactivity timeout (ms; 0 = none). It also closes an SSE stream that is silent for this long. */
  httpConnectionTimeoutMs: z.coerce.number().int().min(0).default(0),
  /** Load shedding: answer 503 OVERLOADED while the event loop lags more than this (ms; 0 = never shed). */
  overloadMaxEventLoopDelayMs: z.coerce.number().int().min(0).default(1_000),
  /** OpenTelemetry: traces are exported (OTLP/HTTP JSON to `<endpoint>/v1/traces`) only when this is set. */
  otelExporterOtlpEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  /** OpenTelemetry `service.name` of the exported traces. */
  otelServiceName: z.string().min(1).default('enclave'),
  /**
   * A second listener that serves only `GET /metrics`, without credentials, for Prometheus. Unset:
   * none (then `/metrics` on the main port needs the admin credential). Anyone who reaches
   * METRICS_HOST:METRICS_PORT reads load and error rates (never tenant data): bind it where only
   * the scraper gets in.
   */
  metricsPort: z.coerce.number().int().min(1).max(65_535).optional(),
  metricsHost: z.string().min(1).default('127.0.0.1'),
  /**
   * The URL clients reach this server at (scheme, host, optional port), for links that leave it:
   * the OAuth redirect URI of tenant MCP servers is `<public URL>/v1/mcp-servers/oauth/callback`.
   * Unset: `http://HOST:PORT`, right only for local use.
   */
  publicUrl: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/?#]+\/?$/, 'must be http(s)://host[:port] with no path')
    .optional(),
  /** Debugging only: put message text in the turn log lines. Logs then hold tenant data. */
  logContent: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** Longest one tool call may run (ms); the model then gets a timeout error as the tool's result. */
  toolTimeoutMs: positiveInt(10_000),
  /** Longest tool output (characters of its text or JSON); longer output is cut and marked as truncated. */
  toolOutputMaxChars: z.coerce.number().int().min(100).default(16_000),
  /** Retries of a provider call after a 429, 5xx or connection failure, before any output (0 = none). */
  providerMaxRetries: z.coerce.number().int().min(0).max(10).default(2),
  /** Longest a provider connection (TCP and TLS) may take to open (ms); then it counts as a connection failure. */
  providerConnectTimeoutMs: positiveInt(10_000),
  /** Consecutive endpoint failures (5xx, timeouts, connection errors) that open a provider's circuit. */
  providerBreakerThreshold: positiveInt(5),
  /** How long an open circuit refuses calls (503 PROVIDER_UNAVAILABLE) before one trial call (ms). */
  providerBreakerCooldownMs: positiveInt(30_000),
  /** How long an Idempotency-Key is remembered after its first request (ms); it can then be used again. */
  idempotencyTtlMs: positiveInt(86_400_000),
  /** How long a retry waits for the first request with its Idempotency-Key, still running, before 409 IDEMPOTENCY_IN_PROGRESS (ms). */
  idempotencyWaitMs: positiveInt(60_000),
  /** How long an Idempotency-Key claim lasts without renewal (ms); the holder renews it every third of this, and a retry takes over the key of a holder that died once it ends. */
  idempotencyLeaseMs: positiveInt(30_000),
  /** How long a web console sign-in lasts (ms); signing in again starts a new one. */
  consoleSessionTtlMs: positiveInt(28_800_000),
  /** The built web console (`npm run build:console`); empty: `web/dist` in the installation. */
  consoleDir: z.string().default(''),
  /** How long an enqueued turn waits for the turns before it on its session before 409 SESSION_BUSY (ms). */
  sessionQueueTimeoutMs: positiveInt(120_000),
  /** Fold a session's older turns into a rolling summary written by the tenant's model (docs/architecture.md). */
  contextSummary: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Longest tool result in a turn's context (characters); longer ones are trimmed there, never in storage. */
  contextToolResultMaxChars: z.coerce.number().int().min(100).default(2_000),
  /** How long a streamed turn's events stay resumable after its last event (ms). */
  streamResumeWindowMs: positiveInt(300_000),
  /** Most events kept per turn for resuming; a resume from before the oldest kept one gets 410. */
  streamResumeMaxEvents: positiveInt(10_000),
  /** Idle time after which a stream gets a heartbeat (SSE `: ping`, WebSocket ping frame) (ms; 0 = none). */
  streamHeartbeatMs: z.coerce.number().int().min(0).default(15_000),
  /** How long a turn whose client went away runs on, waiting to be resumed, before it is cancelled (ms). */
  streamDisconnectGraceMs: z.coerce.number().int().min(0).default(5_000),
  /** Compatibility: name a turn's failure event `error` (the old name) instead of `turn-error`, on SSE and the WebSocket. */
  streamLegacyErrorEvent: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** Most turns and resumes one WebSocket follows at once; a message over it gets `TOO_MANY_SUBSCRIPTIONS`. */
  wsMaxSubscriptions: positiveInt(16),
  /**
   * Bytes waiting to be sent on one WebSocket above which its resumes pause, and anything else to
   * send closes it (code 4008): a client that stops reading cannot make the server buffer without end.
   */
  wsMaxBufferedBytes: positiveInt(4_194_304),
  /**
   * SSRF guard (docs/security.md): what outbound calls made for a tenant (MCP servers, OAuth
   * endpoints) may reach beyond public addresses. Comma-separated hosts, host:port, IPs and CIDRs.
   */
  outboundAllow: z
    .string()
    .optional()
    .superRefine((value, context) => {
      try {
        parseOutboundAllow(value);
      } catch (error) {
        if (!(error instanceof OutboundAllowSyntaxError)) throw error;
        context.addIssue({ code: 'custom', message: error.message });
      }
    }),
  /**
   * Platform MCP servers (docs/tools.md), a JSON list the operator writes: stdio processes Enclave
   * starts itself, or HTTP endpoints. Tenants enable their tools like built-in tools (`name__tool`).
   */
  platformMcpServers: platformMcpServersSchema.optional(),
  /** An egress proxy for those calls (`http://host:port`), tunnelled with CONNECT. */
  outboundProxy: z.url({ protocol: /^https?$/ }).optional(),
  /** Longest wait for an outbound response's headers, connects and redirects included (ms). */
  outboundTimeoutMs: positiveInt(30_000),
  /** Longest outbound response body, decompressed (bytes). */
  outboundMaxResponseBytes: positiveInt(10_485_760),
  /** Redirects an outbound request follows, each one checked again. */
  outboundMaxRedirects: z.coerce.number().int().min(0).max(20).default(5),
  /**
   * Hostnames `/mcp` answers to (comma-separated, no ports): the Host header, and the Origin header
   * when a browser sends one, must name one of them (DNS-rebinding protection). Empty: the loopback
   * names on a loopback bind; on any other bind, only an Origin of another host is refused.
   */
  mcpAllowedHosts: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host !== ''),
    ),
});

/** The settings after `loadConfig`: platform MCP servers have their `{ "env": NAME }` values read. */
export type Config = Readonly<
  Omit<z.infer<typeof configSchema>, 'platformMcpServers'> & { platformMcpServers?: PlatformMcpServer[] | undefined }
>;

/** Loopback binds only: the addresses where disabled auth is a development convenience, not an exposure. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The effective auth mode: explicit, or by bind address. */
export function authModeOf(config: Pick<Config, 'auth' | 'host'>): 'required' | 'disabled' {
  return config.auth ?? (isLoopbackHost(config.host) ? 'disabled' : 'required');
}

/** Environment variable (and matching `--flag`) for each config key. */
export const ENV_KEYS = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  databaseMigrationUrl: 'DATABASE_MIGRATION_URL',
  databasePoolMax: 'DATABASE_POOL_MAX',
  databaseStatementTimeoutMs: 'DATABASE_STATEMENT_TIMEOUT_MS',
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
  auth: 'ENCLAVE_AUTH',
  allowUnauthenticated: 'ENCLAVE_ALLOW_UNAUTHENTICATED',
  adminKey: 'ENCLAVE_ADMIN_KEY',
  masterKey: 'ENCLAVE_MASTER_KEY',
  jwtSecret: 'ENCLAVE_JWT_SECRET',
  jwtJwksUrl: 'ENCLAVE_JWT_JWKS_URL',
  jwtIssuer: 'ENCLAVE_JWT_ISSUER',
  jwtAudience: 'ENCLAVE_JWT_AUDIENCE',
  jwtTenantClaim: 'ENCLAVE_JWT_TENANT_CLAIM',
  jwtScopesClaim: 'ENCLAVE_JWT_SCOPES_CLAIM',
  redisUrl: 'REDIS_URL',
  redisCommandTimeoutMs: 'REDIS_COMMAND_TIMEOUT_MS',
  providers: 'ENCLAVE_PROVIDERS',
  providersFile: 'ENCLAVE_PROVIDERS_FILE',
  providerTimeoutMs: 'PROVIDER_TIMEOUT_MS',
  httpRequestTimeoutMs: 'HTTP_REQUEST_TIMEOUT_MS',
  httpHeadersTimeoutMs: 'HTTP_HEADERS_TIMEOUT_MS',
  httpKeepAliveTimeoutMs: 'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  httpConnectionTimeoutMs: 'HTTP_CONNECTION_TIMEOUT_MS',
  overloadMaxEventLoopDelayMs: 'OVERLOAD_MAX_EVENT_LOOP_DELAY_MS',
  otelExporterOtlpEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  otelServiceName: 'OTEL_SERVICE_NAME',
  metricsPort: 'METRICS_PORT',
  publicUrl: 'ENCLAVE_PUBLIC_URL',
  metricsHost: 'METRICS_HOST',
  logContent: 'LOG_CONTENT',
  toolTimeoutMs: 'TOOL_TIMEOUT_MS',
  toolOutputMaxChars: 'TOOL_OUTPUT_MAX_CHARS',
  providerMaxRetries: 'PROVIDER_MAX_RETRIES',
  providerConnectTimeoutMs: 'PROVIDER_CONNECT_TIMEOUT_MS',
  providerBreakerThreshold: 'PROVIDER_BREAKER_THRESHOLD',
  providerBreakerCooldownMs: 'PROVIDER_BREAKER_COOLDOWN_MS',
  idempotencyTtlMs: 'IDEMPOTENCY_TTL_MS',
  consoleSessionTtlMs: 'CONSOLE_SESSION_TTL_MS',
  consoleDir: 'CONSOLE_DIR',
  idempotencyWaitMs: 'IDEMPOTENCY_WAIT_MS',
  idempotencyLeaseMs: 'IDEMPOTENCY_LEASE_MS',
  sessionQueueTimeoutMs: 'SESSION_QUEUE_TIMEOUT_MS',
  contextSummary: 'CONTEXT_SUMMARY',
  contextToolResultMaxChars: 'CONTEXT_TOOL_RESULT_MAX_CHARS',
  streamResumeWindowMs: 'STREAM_RESUME_WINDOW_MS',
  streamResumeMaxEvents: 'STREAM_RESUME_MAX_EVENTS',
  streamHeartbeatMs: 'STREAM_HEARTBEAT_MS',
  streamDisconnectGraceMs: 'STREAM_DISCONNECT_GRACE_MS',
  streamLegacyErrorEvent: 'STREAM_LEGACY_ERROR_EVENT',
  wsMaxSubscriptions: 'WS_MAX_SUBSCRIPTIONS',
  wsMaxBufferedBytes: 'WS_MAX_BUFFERED_BYTES',
  outboundAllow: 'ENCLAVE_OUTBOUND_ALLOW',
  outboundProxy: 'ENCLAVE_OUTBOUND_PROXY',
  platformMcpServers: 'ENCLAVE_PLATFORM_MCP_SERVERS',
  outboundTimeoutMs: 'ENCLAVE_OUTBOUND_TIMEOUT_MS',
  outboundMaxResponseBytes: 'ENCLAVE_OUTBOUND_MAX_RESPONSE_BYTES',
  outboundMaxRedirects: 'ENCLAVE_OUTBOUND_MAX_REDIRECTS',
  mcpAllowedHosts: 'MCP_ALLOWED_HOSTS',
} as const satisfies Record<keyof z.infer<typeof configSchema>, string>;

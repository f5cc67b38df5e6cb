import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { generateApiKey, hashApiKey } from './auth/api-key.ts';
import { createConsoleSessions } from './auth/console-sessions.ts';
import { createJwtVerifier, type JwtTrust } from './auth/jwt.ts';
import { createKeyUsageRecorder } from './auth/key-usage-recorder.ts';
import { createPrincipalResolver } from './auth/resolve-principal.ts';
import { createTenantJwtTrust } from './auth/tenant-jwt-trust.ts';
import { authModeOf, type Config } from './config/config-schema.ts';
import { mcpOAuthRedirectUrl } from './config/public-url.ts';
import { runAgentTurn, type ToolTurn } from './core/agents/run-agent.ts';
import { createConversationService } from './core/conversations/conversation-service.ts';
import { createIds } from './core/ids.ts';
import { createMcpServerService } from './core/mcp/mcp-server-service.ts';
import { createSecretService } from './core/secrets/secret-service.ts';
import { moveJwtSecrets } from './core/tenants/move-jwt-secrets.ts';
import type { TenantConfig } from './core/tenants/tenant-config.ts';
import { createTenantDirectory } from './core/tenants/tenant-directory.ts';
import { createBackgroundTurns } from './core/turns/background-turns.ts';
import { createIdempotency } from './core/turns/idempotency.ts';
import { createTurnRegistry } from './core/turns/turn-registry.ts';
import { createMemorySessionLock } from './events/memory-session-lock.ts';
import { createMemoryTurnBus } from './events/memory-turn-bus.ts';
import { createMemoryTurnEventLog } from './events/memory-turn-event-log.ts';
import { whenRedisReady } from './events/redis-ready.ts';
import { createRedisSessionLock } from './events/redis-session-lock.ts';
import { createRedisTurnBus } from './events/redis-turn-bus.ts';
import { createRedisTurnEventLog } from './events/redis-turn-event-log.ts';
import { buildApp } from './http/build-app.ts';
import { buildMetricsApp } from './http/build-metrics-app.ts';
import { createConnectionDrain } from './http/connection-drain.ts';
import { createMemoryCounterStore } from './limits/counter-store.ts';
import { createTurnAdmission } from './limits/create-turn-admission.ts';
import { createRedisCounterStore } from './limits/redis-counter-store.ts';
import { outboundFetchOptions } from './outbound/outbound-config.ts';
import { loadProviderSdks } from './providers/create-provider-model.ts';
import { createProviderRegistry } from './providers/provider-registry.ts';
import { createSimulatedModel } from './providers/simulated/simulated-model.ts';
import { encodingsToPreload, preloadTokenizers, tokenCounterFor } from './providers/token-counting.ts';
import { releaseStartupHeap } from './runtime/release-startup-heap.ts';
import { createStorage } from './storage/create-storage.ts';
import { warnOfBackgroundError } from './storage/sqlite/open-sqlite.ts';
import { createMetrics } from './telemetry/create-metrics.ts';
import { instrumentAgent } from './telemetry/instrument-agent.ts';
import { loggerOptions } from './telemetry/logger-options.ts';
import { observeTurns } from './telemetry/observe-turns.ts';
import type { McpTools } from './tools/mcp/mcp-tools.ts';
import type { McpOAuth } from './tools/mcp/oauth/mcp-oauth.ts';
import { createMcpOAuthAccess } from './tools/mcp/oauth/mcp-oauth-access.ts';
import { findOAuthServerIn, mcpOAuthProvider } from './tools/mcp/oauth/mcp-oauth-records.ts';
import { toolCatalog } from './tools/mcp/platform/platform-tool-names.ts';
import { createToolRegistry } from './tools/tool-registry.ts';

export interface Enclave {
  app: FastifyInstance;
  /** The metrics-only app when METRICS_PORT is set (`serve` listens on it), else null. */
  metricsApp: FastifyInstance | null;
  /** Fails readiness (/readyz answers 503) while the server keeps serving. */
  stopAccepting(): void;
  /** Stops accepting, fails readiness, finishes in-flight requests and streams, then closes the database. */
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

/** Codes of turns that ran and failed at the provider (their partial output is stored as failed). */
const FAILED_TURN_CODES = new Set([
  'PROVIDER_ERROR',
  'PROVIDER_REJECTED',
  'PROVIDER_TIMEOUT',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_UNAVAILABLE',
]);

/** The platform-wide JWT trust from config, or null when none is configured. */
function platformJwtTrust(config: Config): JwtTrust | null {
  if (!config.jwtSecret && !config.jwtJwksUrl) return null;
  return {
    ...(config.jwtSecret ? { secret: config.jwtSecret } : {}),
    ...(config.jwtJwksUrl ? { jwksUrl: config.jwtJwksUrl } : {}),
    ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
    ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
    claims: { tenant: config.jwtTenantClaim, scopes: config.jwtScopesClaim },
  };
}

/** The composition root: config → storage → services → app. Does not listen. */
export async function createEnclave(
  config: Config,
  /**
   * `simulatedWordDelayMs` is a test hook, not a user setting: every turn runs on the simulated
   * model slowed down by this much per word, so that a test can cancel a turn while it runs.
   */
  options: { logger?: boolean; simulatedWordDelayMs?: number } = {},
): Promise<Enclave> {
  // The app's logger, once the app is built (callbacks made before then read it when they run).
  let log: FastifyBaseLogger | null = null;
  const {
    storage,
    admin,
    credentials,
    consoleSessions: consoleSessionStore,
    idempotency: idempotencyStore,
    mcpOAuth: mcpOAuthStore,
    mcpServers: mcpServerStore,
    migration,
    poolStats,
  } = await createStorage({
    ...config,
    migrate: true,
    // Background work fails only when the disk does: the server's log, once it has one.
    onBackgroundError: (error, message) =>
      log ? log.error({ err: error }, message) : warnOfBackgroundError(error, message),
  });
  const ids = createIds();
  const secrets = createSecretService({
    storage,
    masterKey: config.masterKey ? Buffer.from(config.masterKey, 'base64') : null,
  });
  // Inline JWT signing secrets (configs written before secrets had names) move into the encrypted
  // store now that a master key can seal them; without one they keep working as they are.
  const movedJwtSecrets = config.masterKey ? await moveJwtSecrets({ storage, admin, secrets }) : null;
  const inlineJwtSecrets = config.masterKey ? 0 : (await admin.listTenantsWithInlineJwtSecrets(1_000)).length;
  const models = createProviderRegistry({
    providers: config.providers ?? [],
    // Only the SDKs of the declared provider types load (the simulated default needs none).
    sdks: await loadProviderSdks((config.providers ?? []).map((spec) => spec.type)),
    timeoutMs: config.providerTimeoutMs,
    connectTimeoutMs: config.providerConnectTimeoutMs,
    maxRetries: config.providerMaxRetries,
    breaker: { threshold: config.providerBreakerThreshold, cooldownMs: config.providerBreakerCooldownMs },
    onBreakerChange: (provider, state) =>
      log?.[state === 'open' ? 'warn' : 'info']({ provider, state }, `provider circuit ${state}`),
    revealSecret: (tenantId, name) => secrets.reveal(tenantId, name),
  });
  // The OpenAI-family tokenizers the providers can need load before the server listens, not mid-traffic.
  const encodings = encodingsToPreload(config.providers ?? []);
  const tokenizers =
    encodings.length > 0 ? preloadTokenizers(encodings).catch((error: unknown) => error) : Promise.resolve(null);
  const tools = createToolRegistry({
    timeoutMs: config.toolTimeoutMs,
    outputMaxChars: config.toolOutputMaxChars,
    // search_history reads through the tenant-scoped port: the tenant is the turn's, bound per turn.
    searchHistory: (tenantId, search) => storage.searchMessages(tenantId, search),
  });
  // Tenant MCP servers: every connection goes through the SSRF-guarded fetch (ENCLAVE_OUTBOUND_*),
  // which also caps each response body, with the tenant's own secrets or the end user's credential.
  // Built on first use: undici and the guarded connector load only once a tenant's MCP server or
  // OAuth endpoint is called (an idle server loads neither).
  let guarded: Promise<typeof fetch> | undefined;
  const loadOutbound = () => import('./outbound/outbound-fetch.ts');
  const outboundFetch: typeof fetch = async (input, init) => {
    guarded ??= loadOutbound().then(({ createOutboundFetch }) => createOutboundFetch(outboundFetchOptions(config)));
    return (await guarded)(input, init);
  };
  // OAuth of tenant MCP servers: grants sealed under each tenant's data key, refreshed single-flight.
  // Every discovery, registration and token request goes through the same guard. Like the tenant
  // MCP tools below, built on first use: the MCP client SDK loads only once a tenant's MCP server
  // is listed or called, or an OAuth route is used (an idle server loads none of it).
  let mcpOAuth: Promise<McpOAuth> | undefined;
  const loadMcpOAuth = () =>
    (mcpOAuth ??= import('./tools/mcp/oauth/mcp-oauth.ts').then(({ createMcpOAuth }) =>
      createMcpOAuth({ store: mcpOAuthStore, secrets, fetch: outboundFetch, redirectUrl: mcpOAuthRedirectUrl(config) }),
    ));
  const mcpOAuthAccess = createMcpOAuthAccess(
    {
      startAuthorization: async (...args) => (await loadMcpOAuth()).startAuthorization(...args),
      completeAuthorization: async (...args) => (await loadMcpOAuth()).completeAuthorization(...args),
      status: async (...args) => (await loadMcpOAuth()).status(...args),
      revoke: async (...args) => (await loadMcpOAuth()).revoke(...args),
    },
    findOAuthServerIn(mcpServerStore),
  );
  let mcpToolsLoaded: McpTools | null = null;
  const mcpServers = createMcpServerService({
    store: mcpServerStore,
    secrets,
    ids,
    now: () => new Date(),
    // Nothing is cached before the tools are first built.
    onChange: (tenantId, serverId) => mcpToolsLoaded?.invalidate(tenantId, serverId),
  });
  let mcpTools: Promise<McpTools> | undefined;
  const loadMcpTools = () =>
    (mcpTools ??= import('./tools/mcp/mcp-tools.ts').then(({ createMcpTools }) => {
      mcpToolsLoaded = createMcpTools({
        findServer: (tenantId, name) => mcpServers.getByName(tenantId, name),
        revealSecret: (tenantId, name) => secrets.reveal(tenantId, name),
        revealUserCredential: (tenantId, serverId, userId) =>
          mcpServers.revealUserCredential(tenantId, serverId, userId),
        // `oauth` servers: the single-flight SDK auth provider of the turn's tenant (and end user).
        oauthProvider: async (tenantId, server, userId) =>
          mcpOAuthProvider(await loadMcpOAuth())(tenantId, server, userId),
        fetch: outboundFetch,
        limits: { timeoutMs: config.toolTimeoutMs, outputMaxChars: config.toolOutputMaxChars },
      });
      return mcpToolsLoaded;
    }));
  // Operator-declared MCP servers (stdio processes or HTTP endpoints), enabled by tenants like
  // built-in tools. Loaded (MCP SDK included) only when some are declared.
  const platformServers = config.platformMcpServers ?? [];
  const platformMcp =
    platformServers.length > 0
      ? (await import('./tools/mcp/platform/platform-mcp-servers.ts')).createPlatformMcp({
          servers: platformServers,
          limits: { timeoutMs: config.toolTimeoutMs, outputMaxChars: config.toolOutputMaxChars },
          log: { warn: (details, message) => log?.warn(details, message) },
        })
      : null;
  const tenants = createTenantDirectory({ storage });
  const metrics = createMetrics();
  // PostgreSQL pool figures on every scrape (SQLite has no pool: nothing is registered).
  if (poolStats()) metrics.observeDatabasePool(poolStats);
  metrics.observeProviderBreakers(models.breakerStates);
  // Tracing costs nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set: no provider, hooks or wrappers,
  // and the OpenTelemetry SDK and exporter are not even loaded.
  const tracing = config.otelExporterOtlpEndpoint
    ? (await import('./telemetry/tracing.ts')).createTracing({
        endpoint: config.otelExporterOtlpEndpoint,
        serviceName: config.otelServiceName,
        serviceVersion: VERSION,
      })
    : null;
  const tracer = tracing?.tracer ?? null;
  // Redis makes limit counters exact across replicas; without it they are per process (and ioredis is not loaded).
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, {
        maxRetriesPerRequest: 2,
        enableOfflineQueue: false,
        // A hung Redis (connected, never answering) must fail like a dead one, not stall requests.
        // The subscriber connections the turn bus and event log duplicate from this one inherit it.
        commandTimeout: config.redisCommandTimeoutMs,
      })
    : null;
  // Once per outage, not per reconnect attempt (without a listener ioredis prints every failure).
  let redisDown = false;
  redis?.on('error', (error: unknown) => {
    if (redisDown) return;
    redisDown = true;
    log?.warn({ err: error }, 'Redis does not answer: limited tenants get 503 LIMITS_UNAVAILABLE until it is back');
  });
  redis?.on('ready', () => {
    if (!redisDown) return;
    redisDown = false;
    log?.info({}, 'Redis answers again');
  });
  // The first requests must not race the first connection (see whenRedisReady); bounded like one
  // command. A Redis that is away is logged by the error listener above.
  if (redis) await whenRedisReady(redis, config.redisCommandTimeoutMs);
  const counters = redis ? createRedisCounterStore(redis) : createMemoryCounterStore();
  // Day and month quotas are rebuilt from the usage ledger (the truth) when their counter is
  // missing: after a Redis restart, or in a new process without Redis.
  const admission = createTurnAdmission(counters, Date.now, async (scope, days) => {
    const [total] = await storage.aggregateUsage(scope.tenantId, {
      ...days,
      groupBy: [],
      ...(scope.keyId === null ? {} : { keyId: scope.keyId }),
    });
    return total?.totalTokens ?? 0;
  });
  // Running turns and their cancels: shared by every replica through Redis, else within this process.
  const turnBus = redis
    ? createRedisTurnBus(redis, { log: { warn: (details, message) => log?.warn(details, message) } })
    : createMemoryTurnBus();
  const turns = createTurnRegistry({
    bus: turnBus,
    onError: (error) => log?.warn({ err: error }, 'turn bus call failed; the turn runs on'),
  });
  // Streamed turns' events, for resuming: in Redis (any replica serves a resume), else in memory.
  const eventLogSettings = { windowMs: config.streamResumeWindowMs, maxEvents: config.streamResumeMaxEvents };
  const turnEvents = redis
    ? createRedisTurnEventLog(redis, {
        ...eventLogSettings,
        log: { warn: (details, message) => log?.warn(details, message) },
      })
    : createMemoryTurnEventLog(eventLogSettings);
  const backgroundTurns = createBackgroundTurns();
  // One turn at a time per session (policy enqueue or reject); across replicas through Redis.
  const sessionLock = redis
    ? createRedisSessionLock(redis, {
        waitMs: config.sessionQueueTimeoutMs,
        log: { warn: (details, message) => log?.warn(details, message) },
      })
    : createMemorySessionLock({ waitMs: config.sessionQueueTimeoutMs });
  const idempotency = createIdempotency({
    store: idempotencyStore,
    ttlMs: config.idempotencyTtlMs,
    waitMs: config.idempotencyWaitMs,
    leaseMs: config.idempotencyLeaseMs,
    // Who holds a claim, for operators reading the table: one id per process (replica).
    owner: ids.next('ins'),
    newToken: () => ids.next('idk'),
    onCleanupError: (error) => log?.warn({ err: error }, 'could not delete expired idempotency keys'),
    onLeaseError: (error) => log?.warn({ err: error }, 'could not renew an idempotency key lease'),
  });
  const slowModel = options.simulatedWordDelayMs
    ? createSimulatedModel('simulated-1', { wordDelayMs: options.simulatedWordDelayMs })
    : null;
  const agent = {
    admission,
    sessionLock,
    turns,
    events: turnEvents,
    storage,
    ids,
    now: () => performance.now(),
    resolveModel: (tenantId: string, tenantConfig: TenantConfig) => slowModel ?? models.resolve(tenantId, tenantConfig),
    async resolveTools(tenantId: string, names: readonly string[], turn?: ToolTurn) {
      const builtin = tools.select(names, {
        tenantId,
        sessionId: turn?.sessionId ?? null,
        turnId: turn?.turnId ?? null,
      });
      // Without platform servers (the common case) the built-ins go back as they are, uncopied.
      const platform = platformMcp ? await platformMcp.toolSet(names, turn?.signal) : null;
      const chosen = turn?.mcpServers ?? [];
      if (chosen.length === 0) return platform ? { ...builtin, ...platform } : builtin;
      // Namespaced `server__tool`, so they never clash with a built-in (whose names hold no `__`);
      // a tenant's own server wins over a platform server of the same name.
      return {
        ...builtin,
        ...platform,
        ...(await (await loadMcpTools()).toolSet(tenantId, chosen, turn?.userId ?? null, turn?.signal)),
      };
    },
    tokenCounter: tokenCounterFor,
    log: { warn: (details: Record<string, unknown>, message: string) => log?.warn(details, message) },
    settings: {
      systemPrompt: config.systemPrompt,
      contextBudgetTokens: config.contextBudgetTokens,
      maxToolSteps: config.maxToolSteps,
      contextSummary: config.contextSummary,
      contextToolResultMaxChars: config.contextToolResultMaxChars,
    },
  };
  const observedAgent = instrumentAgent(agent, { metrics, tracer });
  let accepting = true;
  const platformTrust = platformJwtTrust(config);
  const resolver = createPrincipalResolver({
    credentials,
    jwt: createJwtVerifier(),
    tenantTrust: createTenantJwtTrust({
      config: async (tenantId) => (await tenants.get(tenantId)).config,
      reveal: (tenantId, name) => secrets.reveal(tenantId, name),
      now: Date.now,
    }),
    platformTrust,
    adminKeyHash: config.adminKey ? hashApiKey(config.adminKey) : null,
    onKeyUsed: createKeyUsageRecorder({
      touch: (tenantId, keyId, at) => storage.touchApiKey(tenantId, keyId, at),
      onError: (error) => log?.warn({ err: error }, 'could not record key use'),
    }),
    now: Date.now,
  });
  const consoleSessions = createConsoleSessions({
    store: consoleSessionStore,
    resolveKey: resolver.resolve,
    getApiKey: (tenantId, keyId) => storage.getApiKey(tenantId, keyId),
    listAdminKeys: () => admin.listAdminKeys(),
    tenant: (tenantId) => tenants.get(tenantId),
    adminKeyHash: config.adminKey ? hashApiKey(config.adminKey) : null,
    ttlMs: config.consoleSessionTtlMs,
    now: Date.now,
  });
  const authMode = authModeOf(config);
  const app = await buildApp({
    config: { ...config, authMode },
    services: {
      storage,
      admin,
      tenants,
      conversations: createConversationService({ storage, ids, events: turnEvents }),
      runTurn: observeTurns((request) => runAgentTurn(observedAgent, request), {
        metrics,
        tracer,
        log: () => log,
        logContent: config.logContent,
        failedCodes: FAILED_TURN_CODES,
      }),
      turns,
      turnEvents,
      backgroundTurns,
      metrics,
      resolvePrincipal: resolver.resolve,
      credentialsChanged: { key: resolver.forgetKey, tenant: resolver.forgetTenant },
      consoleSessions,
      providerHealth: async () => ({ circuits: models.breakerStates(), calls: await metrics.modelCallCounts() }),
      console: {
        sessionTtlMs: config.consoleSessionTtlMs,
        dir: config.consoleDir || fileURLToPath(new URL('../web/dist', import.meta.url)),
      },
      generateApiKey,
      admission,
      readinessChecks: redis
        ? [
            {
              name: 'Redis',
              check: async () => {
                await redis.ping();
              },
            },
            { name: 'turn event bus', check: () => turnBus.ready() },
          ]
        : [],
      secrets,
      checkModel: models.check,
      offeredModels: models.offered,
      ...toolCatalog(platformServers, () => tools.names()),
      ...(platformMcp ? { platformMcp } : {}),
      mcpServers,
      listMcpTools: async (tenantId, server, userId, signal) =>
        (await loadMcpTools()).listTools(tenantId, server, userId, signal),
      newId: (prefix) => ids.next(prefix),
      idempotency,
      mcpOAuth: mcpOAuthAccess,
    },
    logger: options.logger === false ? false : loggerOptions({ level: config.logLevel, format: config.logFormat }),
    readiness: { accepting: () => accepting },
    version: VERSION,
    tracer,
  });
  log = app.log;
  const connections = createConnectionDrain(app.server);
  const metricsApp = config.metricsPort ? await buildMetricsApp(metrics) : null;
  const tokenizerError = await tokenizers;
  if (tokenizerError) app.log.warn({ err: tokenizerError }, 'tokenizers did not load: counting with the estimate');
  if (authMode === 'disabled') {
    app.log.warn(
      { host: config.host },
      'authentication is disabled (loopback development default): any caller can act as any tenant. Set ENCLAVE_AUTH=required to require credentials.',
    );
  }
  if (movedJwtSecrets && movedJwtSecrets.versions > 0) {
    app.log.info(movedJwtSecrets, 'moved inline JWT signing secrets into the encrypted secrets store');
  }
  if (inlineJwtSecrets > 0) {
    app.log.warn(
      { tenants: inlineJwtSecrets },
      'tenant configs hold JWT signing secrets in plaintext: set ENCLAVE_MASTER_KEY and restart to move them into the encrypted secrets store',
    );
  }
  if (migration && migration.applied.length > 0) {
    app.log.info({ applied: migration.applied, version: migration.current }, 'database migrated');
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    metricsApp,
    stopAccepting() {
      accepting = false;
      connections.start();
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        connections.start();
        try {
          // Requests already sent must not be reset by the listener's close: accept and read them
          // first (a connection that sends nothing is waited for no longer than a request's headers).
          await connections.settle(Math.min(config.httpHeadersTimeoutMs, config.shutdownTimeoutMs / 2));
          await app.close();
          // After the drain, so the scraper sees it to the end.
          await metricsApp?.close();
        } finally {
          // Background and WebSocket turns belong to no request: wait for them too, before the
          // stores they write to close (a cancel can still reach them meanwhile).
          await backgroundTurns.drain();
          await turnEvents.close();
          // After the drain: no turn runs any more, so no cancel needs delivering.
          await turnBus.close();
          await sessionLock.close();
          await counters.close();
          await redis?.quit().catch(() => redis.disconnect());
          await storage.close();
          // No turn runs any more: the connections to tenants' MCP servers can go.
          if (guarded) {
            const [{ closeOutboundFetch }, opened] = await Promise.all([loadOutbound(), guarded]);
            await closeOutboundFetch(opened);
          }
          // And the platform MCP servers' processes this instance started.
          await platformMcp?.close();
          // Last, so the spans of requests that finished while draining are exported too.
          await tracing?.shutdown();
        }
      })();
      return closing;
    },
  };
}

/** Starts listening and closes gracefully on SIGTERM or SIGINT (forced after `shutdownTimeoutMs`). */
export async function serve(config: Config): Promise<Enclave> {
  const enclave = await createEnclave(config);
  const { app } = enclave;
  // Everything is loaded and compiled: return what start-up left behind before traffic comes.
  const collectedMs = releaseStartupHeap();
  await app.listen({ port: config.port, host: config.host });
  if (enclave.metricsApp) {
    await enclave.metricsApp.listen({ port: config.metricsPort, host: config.metricsHost });
    app.log.info({ host: config.metricsHost, port: config.metricsPort }, 'serving /metrics without credentials');
  }
  app.log.info(
    { database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'), startupGcMs: collectedMs },
    'Enclave is serving',
  );
  const shutdown = async (signal: string) => {
    // Readiness fails first; the listener stays open for the drain delay so that connections a load
    // balancer already routed here are still accepted, then in-flight work finishes before the database closes.
    enclave.stopAccepting();
    const delay = signal === 'SIGTERM' ? config.shutdownDelayMs : 0;
    app.log.info({ signal, delayMs: delay }, 'shutting down: readiness off, draining');
    const timer = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, delay + config.shutdownTimeoutMs);
    timer.unref();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    enclave.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // A signal sent to the whole process group (npm, a terminal) can arrive twice: the first starts
  // the graceful shutdown, a repeated SIGTERM is ignored, and a second Ctrl-C forces the exit.
  let shuttingDown = false;
  const onSignal = (signal: 'SIGTERM' | 'SIGINT') => {
    if (!shuttingDown) {
      shuttingDown = true;
      void shutdown(signal);
    } else if (signal === 'SIGINT') {
      process.exit(130);
    }
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  return enclave;
}

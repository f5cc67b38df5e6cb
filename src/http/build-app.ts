import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { Tracer } from '@opentelemetry/api';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config/config-schema.ts';
import { createAgentService } from '../core/agent-catalog/agent-service.ts';
import { messageText } from '../core/conversations/message.ts';
import { AppError } from '../core/errors.ts';
import { createConfigService } from '../core/tenants/config-service.ts';
import { registerLoadShedding } from '../telemetry/load-shedding.ts';
import { requestTenantId } from '../telemetry/request-tenant.ts';
import { registerRequestTracing } from '../telemetry/request-tracing.ts';
import type { AppServices } from './app-services.ts';
import { answerClientError, answerExpectation } from './client-error.ts';
import { registerIdempotency } from './idempotency.ts';
import { mcpHostnames } from './mcp/mcp-hosts.ts';
import { mcpRoutes } from './mcp/mcp-route.ts';
import { defaultResponseSettings } from './openai/response-request.ts';
import { resourceOfResult } from './openai/run-response.ts';
import { BEARER_SCHEME, finishDocument, transformRoute } from './openapi-document.ts';
import { registerAuthentication } from './plugins/authentication.ts';
import { registerErrorHandler, sendProblem, toProblem } from './plugins/error-handler.ts';
import { lazyApiReference } from './plugins/lazy-api-reference.ts';
import { registerRequestRateLimit } from './plugins/request-rate-limit.ts';
import { namedTenant } from './plugins/tenant-header.ts';
import { registerTextGuard } from './plugins/text-guard.ts';
import { registerWebSocketHandshakeCheck } from './plugins/websocket-handshake.ts';
import { adminProviderRoutes } from './routes/admin/providers.ts';
import { adminTenantRoutes } from './routes/admin/tenants.ts';
import { adminUsageRoutes } from './routes/admin/usage.ts';
import { consoleSessionRoutes } from './routes/console/session-routes.ts';
import { CONSOLE_SECURITY_HEADERS, consoleStaticRoutes } from './routes/console/static-routes.ts';
import { healthRoutes, type Readiness } from './routes/health.ts';
import { legacyHistoryRoute } from './routes/legacy/history.ts';
import { legacyInteractRoute } from './routes/legacy/interact.ts';
import { metricsRoute } from './routes/metrics.ts';
import { CHAT_COMPLETIONS_URL } from './routes/openai/chat-completions.ts';
import { completionIdOf, toChatCompletion } from './routes/openai/chat-response.ts';
import { openAiRoutes } from './routes/openai/openai-routes.ts';
import { RESPONSES_URL } from './routes/openai/responses.ts';
import { tenantAuditRoutes } from './routes/tenant-resources/audit-routes.ts';
import { configRoutes } from './routes/tenant-resources/config-routes.ts';
import { erasureRoutes } from './routes/tenant-resources/erasure-routes.ts';
import { keyRoutes } from './routes/tenant-resources/key-routes.ts';
import { mcpOAuthCallbackRoute, mcpOAuthRoutes } from './routes/tenant-resources/mcp-oauth-routes.ts';
import { mcpServerRoutes } from './routes/tenant-resources/mcp-server-routes.ts';
import { secretRoutes } from './routes/tenant-resources/secret-routes.ts';
import { adminScope, selfScope } from './routes/tenant-resources/tenant-scope.ts';
import { usageRoutes } from './routes/tenant-resources/usage-routes.ts';
import { agentRoutes } from './routes/v1/agents.ts';
import { platformMcpRoutes } from './routes/v1/platform-mcp-servers.ts';
import { sessionsRoutes } from './routes/v1/sessions.ts';
import { turnCancelRoutes } from './routes/v1/turn-cancel.ts';
import { turnEventRoutes } from './routes/v1/turn-events.ts';
import { turnStatusRoutes } from './routes/v1/turn-status.ts';
import { turnRoutes } from './routes/v1/turns.ts';
import { websocketRoutes } from './routes/v1/websocket.ts';
import { toTurnJson } from './schemas/turn.ts';

export interface BuildAppOptions {
  config: Pick<Config, 'bodyLimitBytes' | 'messageMaxChars'> &
    Partial<
      Pick<
        Config,
        | 'httpRequestTimeoutMs'
        | 'httpHeadersTimeoutMs'
        | 'httpKeepAliveTimeoutMs'
        | 'httpConnectionTimeoutMs'
        | 'overloadMaxEventLoopDelayMs'
        | 'streamHeartbeatMs'
        | 'streamDisconnectGraceMs'
        | 'streamLegacyErrorEvent'
        | 'wsMaxSubscriptions'
        | 'wsMaxBufferedBytes'
        | 'host'
        | 'mcpAllowedHosts'
      >
    > & { authMode: 'required' | 'disabled' };
  services: AppServices;
  /** With tracing on: every request becomes a server span, the parent of the turn it runs. */
  tracer?: Tracer | null;
  /** A pino logger config or instance; `false` for none (tests). */
  logger: FastifyServerOptions['loggerInstance'] | FastifyServerOptions['logger'];
  readiness?: Readiness;
  version?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Enclave's mark for /docs and browsers' /favicon.ico requests (SVG, which browsers accept there). */
const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f2937"/><path d="M10 8h12v3h-8.5v3.5H21v3h-7.5V21H22v3H10z" fill="#f9fafb"/></svg>';

/** Builds the Fastify app with every route. Never listens: `server.ts` and tests decide that. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, services } = options;
  const logger = options.logger;
  const app = Fastify({
    ...(logger && typeof logger === 'object' && 'child' in logger
      ? { loggerInstance: logger }
      : { logger: logger ?? false }),
    bodyLimit: config.bodyLimitBytes,
    // Receiving a request (headers and body) is bounded; sending is not, so SSE streams are never cut
    // by requestTimeout. connectionTimeout is socket inactivity and would close a silent stream.
    requestTimeout: config.httpRequestTimeoutMs ?? 30_000,
    keepAliveTimeout: config.httpKeepAliveTimeoutMs ?? 72_000,
    connectionTimeout: config.httpConnectionTimeoutMs ?? 0,
    // Request schemas are zod, but any Ajv-validated schema must never turn a number into a string either.
    ajv: { customOptions: { coerceTypes: false } },
    // A client-supplied X-Request-ID is kept only when it is a plain token; it is echoed in logs and bodies.
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    // One line per request is written by the onResponse hook below, with route and status only.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    // While draining, requests on open keep-alive connections are still served; /readyz reports NOT_READY.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // The longest id a path names is a user id (128 characters, USER_ID_PATTERN); the router's default of
    // 100 would refuse the erasure of users whose ids every other route accepts.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 128 },
    // Requests node's HTTP parser refuses (framing, header size, a NUL in a header) answer
    // problem+json too; Fastify calls this with the instance as `this`.
    clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
      answerClientError(this.log, error, socket, (status) => services.metrics.unparsed(status));
    },
    // node answers an HTTP/1.1 request without Host with an empty 400; the hook below answers problem+json.
    http: { requireHostHeader: false },
    // Errors the router raises before any hook (bad percent-encoding, an over-long path parameter)
    // answer problem+json like everything else.
    frameworkErrors: (error, request, reply) => {
      const problem = toProblem(
        new AppError('VALIDATION_FAILED', `The request URL is malformed: ${error.message}`),
        request.id,
      );
      // An upgrade request's socket is no longer node's: no hook runs here to end it (as
      // @fastify/websocket does for other answered upgrades), so it would stay open for good and
      // hold up shutdown. Any request with an Upgrade header is closed after this answer.
      if (request.headers.upgrade !== undefined) reply.raw.once('finish', () => request.raw.socket.destroy());
      void sendProblem(reply as unknown as FastifyReply, problem);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // Fastify has no option for it; node:http requires it not to exceed requestTimeout.
  const requestTimeout = config.httpRequestTimeoutMs ?? 30_000;
  const headersTimeout = config.httpHeadersTimeoutMs ?? 10_000;
  app.server.headersTimeout = requestTimeout > 0 ? Math.min(headersTimeout, requestTimeout) : headersTimeout;

  // Any Expect but 100-continue: 417 problem+json instead of node's empty answer.
  app.server.on('checkExpectation', (request, response) =>
    answerExpectation(request, response, (status) => services.metrics.unparsed(status)),
  );

  // Every body Enclave reads is JSON. Fastify's default text/plain parser would hand a route a string
  // that then fails validation (422); without it, text/plain is refused like any other non-JSON
  // type: 415 CONTENT_TYPE_UNSUPPORTED (422 UNSUPPORTED_MEDIA_TYPE on the original API).
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app, { onRejected: (code) => services.metrics.rejected(code) });
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined)
      done(new AppError('MALFORMED_REQUEST', 'An HTTP/1.1 request needs a Host header'));
    else done();
  });
  // Before every other hook: it marks upgrade requests, so that the socket of any upgrade that gets an
  // HTTP answer instead (refused by a hook, another route) is closed after it, never left open.
  await app.register(websocket, { options: { maxPayload: config.bodyLimitBytes } });
  registerWebSocketHandshakeCheck(app);
  // First, so an overloaded server spends nothing on a request it refuses, and spans time everything.
  await registerLoadShedding(app, {
    maxEventLoopDelayMs: config.overloadMaxEventLoopDelayMs ?? 0,
    exempt: ['/healthz', '/readyz', '/metrics'],
    onShed: () => services.metrics.rejected('OVERLOADED'),
  });
  if (options.tracer) registerRequestTracing(app, options.tracer);
  registerAuthentication(app, {
    mode: config.authMode,
    resolve: services.resolvePrincipal,
    publicPrefixes: ['/docs', '/openapi.json', '/favicon.ico'],
    resolveConsoleCookie: (cookie) => services.consoleSessions.resolve(cookie),
  });
  registerRequestRateLimit(app, { admission: services.admission, tenants: services.tenants });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // The console's pages, assets and sign-in API (and their errors) all get its strict headers.
    if (request.url === '/console' || request.url.startsWith('/console/') || request.url.startsWith('/console?'))
      reply.headers(CONSOLE_SECURITY_HEADERS);
    done();
  });
  // NUL and unpaired surrogates in any parameter, query or body text: 422 before a route sees them.
  registerTextGuard(app);
  // Exactly-once turns: after validation and authentication, before the turn routes' handlers.
  if (services.idempotency) {
    registerIdempotency(app, {
      idempotency: services.idempotency,
      routes: [
        {
          method: 'POST',
          url: '/agent/interact',
          named: (request) => (request.body as { tenant_id: string }).tenant_id,
          sse: false,
          render: (tenantId, result) => ({ tenant_id: tenantId, response: messageText(result.reply.content) }),
        },
        {
          method: 'POST',
          url: '/v1/sessions/:id/messages',
          named: namedTenant,
          sse: true,
          render: (_tenantId, result) => toTurnJson(result),
        },
        {
          method: 'POST',
          url: CHAT_COMPLETIONS_URL,
          named: namedTenant,
          // A streamed call's retry gets the stored completion as JSON (its stream cannot be replayed).
          sse: false,
          render: (_tenantId, result) =>
            toChatCompletion(
              {
                id: completionIdOf(result.turnId),
                created: Math.floor(Date.parse(result.userMessage.createdAt) / 1000),
                model: result.reply.model ?? 'unknown',
              },
              result,
            ),
        },
        {
          method: 'POST',
          url: RESPONSES_URL,
          named: namedTenant,
          sse: false,
          // Only when the first request's process died after its turn committed: its settings are not
          // at hand, so the response shows the defaults (the request's own answer is replayed otherwise).
          render: (_tenantId, result) =>
            resourceOfResult({ settings: defaultResponseSettings(), previousTurnId: null }, result),
        },
      ],
      storage: services.storage,
      onError: (error) => app.log.warn({ err: error }, 'could not settle an idempotency key'),
    });
  }
  // Every request log line carries tenant_id from here on (the body is parsed, validation not yet run).
  const tenantLogged = new WeakSet<FastifyRequest>();
  app.addHook('preValidation', (request, _reply, done) => {
    // The request's own child logger (Fastify makes one per request) takes the binding: a second
    // child per request would cost a logger allocation and its serialized bindings on every call.
    const bindings = { tenant_id: requestTenantId(request) };
    const log = request.log as typeof request.log & { setBindings?(bindings: Record<string, unknown>): void };
    if (log.setBindings) log.setBindings(bindings);
    else request.log = request.log.child(bindings);
    tenantLogged.add(request);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    request.log.info(
      {
        ...(tenantLogged.has(request) ? {} : { tenant_id: requestTenantId(request) }),
        method: request.method,
        url: route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    services.metrics.request(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Enclave',
        version: options.version ?? '0.0.0',
        description: 'Multi-tenant agent server. Errors are application/problem+json with a stable `code`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: [
        { name: 'legacy', description: 'The original API, kept working unchanged' },
        { name: 'sessions', description: 'Sessions, messages and turns' },
        {
          name: 'openai',
          description:
            "OpenAI-compatible routes (Chat Completions, Models, Responses, Conversations); errors in OpenAI's shape (docs/openai-compatibility.md, docs/openai-responses.md)",
        },
        { name: 'config', description: "The calling tenant's versioned agent config" },
        { name: 'keys', description: "The calling tenant's API keys" },
        { name: 'usage', description: "The calling tenant's usage ledger" },
        { name: 'audit', description: "The calling tenant's audit log" },
        { name: 'secrets', description: "The calling tenant's encrypted secrets (write-only)" },
        { name: 'users', description: "Erasure of one end user's data" },
        { name: 'admin', description: 'Operator API: tenants, their keys, config, usage, audit log and export' },
        { name: 'operations', description: 'Health and readiness' },
        {
          name: 'mcp',
          description: "Enclave as an MCP server: the tenant's agents as tools, its sessions as resources",
        },
        { name: 'console', description: 'Web console sign-in: a key exchanged for a session cookie' },
      ],
    },
    // operationIds (one rule, so new routes get one), security, servers: see openapi-document.ts.
    transform: transformRoute,
    transformObject: finishDocument,
  });
  // Scalar itself loads on the first /docs request (plugins/lazy-api-reference.ts).
  await app.register(
    lazyApiReference({
      routePrefix: '/docs',
      configuration: {
        url: '/openapi.json',
        pageTitle: 'Enclave API',
        favicon: '/favicon.ico',
        // "Test Request" offers the bearer token; it stays in the browser tab (not persisted).
        authentication: { preferredSecurityScheme: BEARER_SCHEME },
        // Nothing on the page calls out: no hosted fonts, no telemetry, and none of Scalar's own
        // services (the developer toolbar with "Deploy" and "Generate SDK", the "Ask AI" agent).
        withDefaultFonts: false,
        telemetry: false,
        showDeveloperTools: 'never',
        agent: { disabled: true },
        hideClientButton: true,
      },
    }),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON),
  );

  const readiness = options.readiness ?? { accepting: () => true };
  await app.register(healthRoutes(services, readiness));
  await app.register(metricsRoute(services));
  await app.register(consoleSessionRoutes(services));
  await app.register(consoleStaticRoutes(services.console.dir));
  await app.register(legacyInteractRoute(services, config));
  await app.register(legacyHistoryRoute(services));
  await app.register(sessionsRoutes(services));
  const streams = {
    heartbeatMs: config.streamHeartbeatMs ?? 15_000,
    disconnectGraceMs: config.streamDisconnectGraceMs ?? 5_000,
    legacyErrorEvent: config.streamLegacyErrorEvent ?? false,
  };
  await app.register(turnRoutes(services, { ...config, ...streams }));
  await app.register(openAiRoutes(services, streams));
  await app.register(turnCancelRoutes(services));
  await app.register(turnStatusRoutes(services));
  await app.register(turnEventRoutes(services, streams));
  await app.register(
    websocketRoutes(services, {
      ...streams,
      messageMaxChars: config.messageMaxChars,
      maxSubscriptions: config.wsMaxSubscriptions ?? 16,
      maxBufferedBytes: config.wsMaxBufferedBytes ?? 4_194_304,
    }),
  );
  const checkModel = services.checkModel ? { checkModel: services.checkModel } : {};
  const toolNames = {
    ...(services.toolNames ? { toolNames: services.toolNames } : {}),
    ...(services.acceptsTool ? { acceptsTool: services.acceptsTool } : {}),
  };
  const configs = createConfigService({
    storage: services.storage,
    tenants: services.tenants,
    secrets: services.secrets,
    ...checkModel,
    ...toolNames,
  });
  const agents = createAgentService({
    storage: services.storage,
    configs,
    ids: { next: services.newId },
    ...checkModel,
    ...toolNames,
  });
  await app.register(adminTenantRoutes(services, configs));
  await app.register(
    mcpRoutes(services, agents, {
      messageMaxChars: config.messageMaxChars,
      bodyLimitBytes: config.bodyLimitBytes,
      version: options.version ?? '0.0.0',
      hostnames: mcpHostnames(config),
    }),
  );
  await app.register(adminProviderRoutes(services));
  await app.register(adminUsageRoutes(services));
  await app.register(tenantAuditRoutes(services, selfScope(services)));
  for (const scope of [selfScope(services), adminScope(services)]) {
    await app.register(configRoutes(services, configs, scope));
    await app.register(agentRoutes(services, agents, scope));
    await app.register(keyRoutes(services, scope));
    await app.register(usageRoutes(services, scope));
    await app.register(secretRoutes(services, scope));
    await app.register(erasureRoutes(services, scope));
    if (services.mcpOAuth) await app.register(mcpOAuthRoutes(services, services.mcpOAuth, scope));
    if (services.mcpServers) await app.register(mcpServerRoutes(services, services.mcpServers, scope));
  }
  if (services.mcpOAuth) await app.register(mcpOAuthCallbackRoute(services, services.mcpOAuth));
  await app.register(platformMcpRoutes(services));
  return app;
}

import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config-schema.ts';
import { runAgentTurn } from './core/agents/run-agent.ts';
import { createConversationService } from './core/conversations/conversation-service.ts';
import { createIds } from './core/ids.ts';
import { buildApp } from './http/build-app.ts';
import { createSimulatedModel } from './providers/simulated/simulated-model.ts';
import { createStorage } from './storage/create-storage.ts';
import { loggerOptions } from './telemetry/logger-options.ts';
import { createToolRegistry } from './tools/tool-registry.ts';

export interface Enclave {
  app: FastifyInstance;
  /** Fails readiness (/readyz answers 503) while the server keeps serving. */
  stopAccepting(): void;
  /** Stops accepting, fails readiness, finishes in-flight requests and streams, then closes the database. */
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

/** The composition root: config → storage → services → app. Does not listen. */
export async function createEnclave(config: Config, options: { logger?: boolean } = {}): Promise<Enclave> {
  const { storage, migration } = await createStorage({
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    migrate: true,
  });
  const ids = createIds();
  const model = createSimulatedModel();
  const tools = createToolRegistry();
  const allTools = tools.select(tools.names());
  const agent = {
    storage,
    ids,
    now: () => performance.now(),
    resolveModel: () => model,
    resolveTools: () => allTools,
    settings: {
      systemPrompt: config.systemPrompt,
      contextBudgetTokens: config.contextBudgetTokens,
      maxToolSteps: config.maxToolSteps,
    },
  };
  let accepting = true;
  const app = await buildApp({
    config,
    services: {
      storage,
      conversations: createConversationService({ storage, ids }),
      runTurn: (request) => runAgentTurn(agent, request),
    },
    logger: options.logger === false ? false : loggerOptions({ level: config.logLevel, format: config.logFormat }),
    readiness: { accepting: () => accepting },
    version: VERSION,
  });
  if (migration && migration.applied.length > 0) {
    app.log.info({ applied: migration.applied, version: migration.current }, 'database migrated');
  }
  let closing: Promise<void> | null = null;
  return {
    app,
    stopAccepting() {
      accepting = false;
    },
    close() {
      closing ??= (async () => {
        accepting = false;
        try {
          await app.close();
        } finally {
          await storage.close();
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
  await app.listen({ port: config.port, host: config.host });
  app.log.info({ database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') }, 'Enclave is serving');
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
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return enclave;
}

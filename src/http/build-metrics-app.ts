import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HttpMetrics } from './metrics-port.ts';
import { registerErrorHandler } from './plugins/error-handler.ts';

/**
 * The metrics-only listener (`METRICS_PORT`): `GET /metrics` without credentials and nothing else,
 * so a Prometheus scraper never holds the admin key. No tenant data is reachable here: the
 * exposition has no tenant labels, and every other path answers 404 ROUTE_NOT_FOUND.
 */
export async function buildMetricsApp(metrics: Pick<HttpMetrics, 'render'>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, genReqId: () => randomUUID(), bodyLimit: 1024 });
  registerErrorHandler(app, { onRejected: () => {} });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
  return app;
}

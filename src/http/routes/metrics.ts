import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin } from '../access.ts';
import type { AppServices } from '../app-services.ts';
import { problems } from '../schemas/problem.ts';

/**
 * `GET /metrics`: the Prometheus text format. It carries no tenant labels, but load and error rates
 * are still operator information, so here it needs the admin credential; with auth disabled it is
 * open like everything else. Prometheus should scrape the metrics-only listener instead
 * (`METRICS_PORT`, build-metrics-app.ts): the admin key can also delete tenants and export their data.
 */
export function metricsRoute(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (admin credential)',
          response: { 200: z.string().describe('text/plain; version=0.0.4'), ...problems(401, 403) },
        },
      },
      async (request, reply) => {
        requireAdmin(request);
        const { contentType, body } = await services.metrics.render();
        return reply.type(contentType).send(body);
      },
    );
  };
}

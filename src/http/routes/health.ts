import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { AppServices } from '../app-services.ts';
import { problems } from '../schemas/problem.ts';

export interface Readiness {
  /** False once shutdown has begun, so load balancers stop sending work before we close. */
  accepting(): boolean;
}

/** `/healthz` (the process is alive) and `/readyz` (it can serve: accepting and the database answers). */
export function healthRoutes(services: AppServices, readiness: Readiness): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { public: true },
        schema: { tags: ['operations'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: { public: true },
        schema: {
          tags: ['operations'],
          summary: 'Readiness: the server accepts work and the database (and Redis, when configured) answer',
          response: { 200: z.object({ status: z.literal('ready') }), ...problems(503) },
        },
      },
      async () => {
        if (!readiness.accepting()) throw new AppError('NOT_READY', 'The server is shutting down');
        for (const { name, check } of [
          { name: 'database', check: () => services.storage.ping() },
          ...services.readinessChecks,
        ]) {
          try {
            await check();
          } catch (error) {
            throw new AppError('NOT_READY', `The ${name} does not answer`, { cause: error });
          }
        }
        return { status: 'ready' as const };
      },
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAdmin } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { problems } from '../../schemas/problem.ts';

const providerHealthSchema = z
  .object({
    circuits: z
      .array(
        z.object({
          provider: z.string().describe('The provider id (PROVIDERS / the built-in ones)'),
          state: z.enum(['closed', 'half-open', 'open']),
        }),
      )
      .describe("Each provider endpoint's circuit breaker in the answering process"),
    calls: z
      .array(
        z.object({
          provider: z.string().describe('The provider kind (openai, anthropic, …; `other` for custom names)'),
          completed: z.number().int(),
          failed: z.number().int(),
          error_rate: z.number().min(0).max(1).describe('failed / (completed + failed)'),
        }),
      )
      .describe('Model calls in the answering process since it started (as in enclave_model_call_duration_seconds)'),
  })
  .meta({ id: 'ProviderHealth' });

/** Operator view of provider health: circuit breaker states and model call error rates. */
export function adminProviderRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/admin/providers/health',
      {
        schema: {
          tags: ['admin'],
          summary: 'Provider health in this process: circuit breaker states and model call error rates',
          response: { 200: providerHealthSchema, ...problems(401, 403) },
        },
      },
      async (request) => {
        requireAdmin(request);
        const { circuits, calls } = await services.providerHealth();
        return {
          circuits,
          calls: calls.map((entry) => ({
            ...entry,
            error_rate: entry.completed + entry.failed === 0 ? 0 : entry.failed / (entry.completed + entry.failed),
          })),
        };
      },
    );
  };
}

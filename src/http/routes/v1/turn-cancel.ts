import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { problems } from '../../schemas/problem.ts';

/** A turn id (`msg_…`, the id of the turn's user message) as the path may carry it. */
export const turnIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a turn id');

/** `POST /v1/turns/{id}/cancel`: cancels a running turn of the calling tenant, on whichever replica runs it. */
export function turnCancelRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/turns/:id/cancel',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Cancel a running turn',
          description:
            'Asks the replica that runs the turn to stop it. The turn id is `turn_id` of the `turn-start` event (or of the user message). The partial reply is stored; a streamed turn ends with an `error` event with code `TURN_CANCELLED`, a JSON turn answers 409 `TURN_CANCELLED`. A turn that is not running for the calling tenant (ended, unknown, or another tenant’s) answers 404 `TURN_NOT_FOUND`.',
          headers: z.looseObject({ 'tenant-id': z.string().optional() }),
          params: z.object({ id: turnIdSchema }),
          response: {
            202: z.object({ turn_id: z.string(), status: z.literal('cancelling') }),
            ...problems(400, 401, 403, 404, 422, 429, 503),
          },
        },
      },
      async (request, reply) => {
        // The same scope as starting a turn: whoever may run turns for the tenant may stop them.
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const turnId = request.params.id;
        if (!(await services.turns.cancel(access.tenantId, turnId))) throw new AppError('TURN_NOT_FOUND');
        return reply.code(202).send({ turn_id: turnId, status: 'cancelling' as const });
      },
    );
  };
}

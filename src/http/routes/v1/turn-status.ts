import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import { turnOutcomeOf, turnUsageOf } from '../../../core/turns/turn-outcome.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { messageSchema, toMessageJson, toUsageJson, usageSchema } from '../../schemas/message.ts';
import { problems } from '../../schemas/problem.ts';
import { turnIdSchema } from './turn-cancel.ts';

const STATUS = { completed: 'completed', cancelled: 'cancelled', failed: 'failed', open: 'running' } as const;

/** `GET /v1/turns/{id}`: the status and result of one turn of the calling tenant, on any replica. */
export function turnStatusRoutes(services: AppServices): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/turns/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Get the status and result of a turn',
          description:
            'Status `running` (on any replica), `completed`, `failed` or `cancelled`, with the stored user message, the messages the turn stored so far (assistant and tool), the final reply and the usage once completed. Meant for background turns (`"background": true`) but answers for any turn. Another tenant’s turn answers 404 `TURN_NOT_FOUND`, exactly like an unknown id.',
          headers: z.looseObject({ 'tenant-id': z.string().optional() }),
          params: z.object({ id: turnIdSchema }),
          response: {
            200: z.object({
              turn_id: z.string(),
              session_id: z.string(),
              status: z.enum(['running', 'completed', 'failed', 'cancelled']),
              user_message: messageSchema,
              messages: z.array(messageSchema),
              reply: messageSchema.nullable(),
              usage: usageSchema.nullable(),
              latency_ms: z.number().int().nullable(),
            }),
            ...problems(400, 401, 403, 404, 422, 429, 503),
          },
        },
      },
      async (request) => {
        // The scope that runs turns follows them: a client that started a turn can read its outcome.
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const turnId = request.params.id;
        // Running is asked first: see turnOutcomeOf.
        const running = await services.turns.isRunning(access.tenantId, turnId);
        const messages = await services.storage.getTurn(access.tenantId, turnId);
        const user = messages.find((message) => message.role === 'user' && message.id === turnId);
        if (!user) throw new AppError('TURN_NOT_FOUND');
        const outcome = messages.filter((message) => message !== user);
        const reply = outcome.findLast((message) => message.final && message.status === 'completed') ?? null;
        const usage = turnUsageOf(outcome);
        return {
          turn_id: turnId,
          session_id: user.sessionId,
          status: STATUS[turnOutcomeOf(outcome, running)],
          user_message: toMessageJson(user),
          messages: outcome.map(toMessageJson),
          reply: reply ? toMessageJson(reply) : null,
          usage: usage ? toUsageJson(usage) : null,
          latency_ms: reply?.latencyMs == null ? null : Math.round(reply.latencyMs),
        };
      },
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Message, Usage } from '../../../core/conversations/message.ts';
import { AppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { messageSchema, toMessageJson, toUsageJson, usageSchema } from '../../schemas/message.ts';
import { problems } from '../../schemas/problem.ts';
import { turnIdSchema } from './turn-cancel.ts';

type TurnStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/**
 * A turn's status from what is stored, and whether it was running just before the read: storage
 * wins once it holds the outcome (the outcome is written before the running mark is removed). A
 * turn that stored no outcome and runs nowhere was lost with its replica: `failed`.
 */
function statusOf(outcome: readonly Message[], running: boolean): TurnStatus {
  if (outcome.some((message) => message.final && message.status === 'completed')) return 'completed';
  if (outcome.some((message) => message.status === 'cancelled')) return 'cancelled';
  if (outcome.some((message) => message.status === 'failed')) return 'failed';
  return running ? 'running' : 'failed';
}

function usageOf(outcome: readonly Message[]): Usage | null {
  const charged = outcome.filter((message) => message.usage !== null);
  if (charged.length === 0) return null;
  return charged.reduce<Usage>(
    (total, message) => ({
      inputTokens: total.inputTokens + (message.usage?.inputTokens ?? 0),
      outputTokens: total.outputTokens + (message.usage?.outputTokens ?? 0),
      totalTokens: total.totalTokens + (message.usage?.totalTokens ?? 0),
    }),
    { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  );
}

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
        // Running is asked first: see statusOf.
        const running = await services.turns.isRunning(access.tenantId, turnId);
        const messages = await services.storage.getTurn(access.tenantId, turnId);
        const user = messages.find((message) => message.role === 'user' && message.id === turnId);
        if (!user) throw new AppError('TURN_NOT_FOUND');
        const outcome = messages.filter((message) => message !== user);
        const reply = outcome.findLast((message) => message.final && message.status === 'completed') ?? null;
        const usage = usageOf(outcome);
        return {
          turn_id: turnId,
          session_id: user.sessionId,
          status: statusOf(outcome, running),
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

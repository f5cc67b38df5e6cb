import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../core/errors.ts';
import type { AppServices } from '../../app-services.ts';
import { openAiTenant } from '../../openai/conversation-access.ts';
import { messageToItems } from '../../openai/conversation-items.ts';
import { openAiIdSchema } from '../../openai/conversation-json.ts';
import { responseResourceSchema } from '../../openai/open-responses-schema.ts';
import { planResponse } from '../../openai/plan-response.ts';
import { createResponseBodySchema, refuseUnsupported } from '../../openai/response-request.ts';
import { responseIdOf, toResponseResource, turnIdOf } from '../../openai/response-resource.ts';
import { loadResponse } from '../../openai/response-view.ts';
import { type ResponsePlan, runResponse } from '../../openai/run-response.ts';
import { streamStoredResponse } from '../../openai/stream-response.ts';
import type { StreamSettings } from '../../sse/stream-turn.ts';
import { openAiErrors } from './openai-error.ts';

/** The route that creates responses (its `Idempotency-Key` is honoured, see build-app.ts). */
export const RESPONSES_URL = '/v1/responses';

const headers = z.looseObject({ 'tenant-id': z.string().optional() });
const createHeaders = z.looseObject({
  'tenant-id': z.string().optional(),
  'idempotency-key': z
    .string()
    .optional()
    .describe('Makes the create exactly-once: a retry with the same key and body gets the first response.'),
});
const params = z.object({ id: openAiIdSchema });
const responseSchema = responseResourceSchema.meta({ id: 'Response' });
const errors = openAiErrors(400, 401, 403, 404, 409, 410, 415, 422, 429, 502, 503, 504);

/** The turn of a response id in the path; a string that is no response id answers as a missing response. */
function turnOf(id: string): string {
  const turnId = turnIdOf(id);
  if (!turnId) throw new AppError('RESPONSE_NOT_FOUND');
  return turnId;
}

/**
 * `/v1/responses` (the Open Responses specification; docs/openai-responses.md). A response is a
 * turn: it runs through the one turn pipeline, its stream is the turn event log through the
 * Responses encoder, and its id is the turn id with `resp_` for `msg_`.
 */
export function responseRoutes(services: AppServices, streams: StreamSettings): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      RESPONSES_URL,
      {
        schema: {
          tags: ['openai'],
          summary: 'Create a response (runs one agent turn)',
          description:
            '`model` names one of the tenant’s agents. With `stream: true` the answer is the Open Responses event stream (`response.created` … `response.completed` or `response.failed`, each with `sequence_number`); with `background: true` the turn runs detached and the response answers at once with status `in_progress`.',
          headers: createHeaders,
          body: createResponseBodySchema,
          response: { 200: responseSchema, ...errors },
        },
      },
      async (request, reply) => {
        refuseUnsupported(request.body);
        const plan = await planResponse(services, request, request.body);
        try {
          return await runResponse(services, request, reply, plan, {
            stream: request.body.stream === true,
            background: request.body.background === true,
            streams,
          });
        } catch (error) {
          await dropUnusedFork(services, plan);
          throw error;
        }
      },
    );

    app.get(
      '/v1/responses/:id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Get a response, or resume its event stream',
          description:
            'With `stream=true` the response’s events after `starting_after` (a `sequence_number`), then its live tail, while its events are kept (410 `TURN_EVENTS_EXPIRED` after).',
          headers,
          params,
          querystring: z
            .object({
              stream: z.enum(['true', 'false']).optional(),
              starting_after: z.coerce.number().int().min(-1).optional(),
              include: z.union([z.string(), z.array(z.string())]).optional(),
              include_obfuscation: z.enum(['true', 'false']).optional(),
            })
            .strict(),
          response: { 200: responseSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { tenantId } = await openAiTenant(services, request);
        const { stored, view } = await loadResponse(services, tenantId, turnOf(request.params.id));
        if (request.query.stream !== 'true') return toResponseResource(view);
        return streamStoredResponse(services, request, reply, {
          tenantId,
          stored,
          startingAfter: request.query.starting_after ?? -1,
          heartbeatMs: streams.heartbeatMs,
        });
      },
    );

    app.post(
      '/v1/responses/:id/cancel',
      {
        schema: {
          tags: ['openai'],
          summary: 'Cancel a background response',
          description:
            'Stops the turn on whichever replica runs it and answers the response once it has stopped (status `cancelled`); a response that has already ended answers as it ended. Only background responses can be cancelled (409 `RESPONSE_NOT_CANCELLABLE`).',
          headers,
          params,
          response: { 200: responseSchema, ...errors },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const turnId = turnOf(request.params.id);
        const { stored } = await loadResponse(services, tenantId, turnId);
        if (!stored.settings.background) throw new AppError('RESPONSE_NOT_CANCELLABLE');
        if (await services.turns.cancel(tenantId, turnId)) {
          // The turn's final event says it has stopped and stored what it had; bounded, in case it hangs.
          const signal = AbortSignal.timeout(10_000);
          const events = await services.turnEvents.read(tenantId, turnId, 0, signal).catch(() => null);
          if (events) for await (const _ of events);
        }
        return toResponseResource((await loadResponse(services, tenantId, turnId)).view);
      },
    );

    app.get(
      '/v1/responses/:id/input_items',
      {
        schema: {
          tags: ['openai'],
          summary: 'List the input items of a response',
          headers,
          params,
          querystring: z
            .object({
              limit: z.coerce.number().int().min(1).max(100).default(20),
              order: z.enum(['asc', 'desc']).default('desc'),
              after: openAiIdSchema.optional(),
              include: z.union([z.string(), z.array(z.string())]).optional(),
            })
            .strict(),
          response: {
            200: z.object({
              object: z.literal('list'),
              data: z.array(z.looseObject({ type: z.string(), id: z.string() })),
              first_id: z.string().nullable(),
              last_id: z.string().nullable(),
              has_more: z.boolean(),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const { messages } = await loadResponse(services, tenantId, turnOf(request.params.id));
        const { limit, order, after } = request.query;
        let items = messages.filter((message) => message.role === 'user').flatMap(messageToItems);
        if (order === 'desc') items.reverse();
        if (after !== undefined) items = items.slice(items.findIndex((item) => item.id === after) + 1);
        const page = items.slice(0, limit);
        return {
          object: 'list' as const,
          data: page,
          first_id: page[0]?.id ?? null,
          last_id: page.at(-1)?.id ?? null,
          has_more: items.length > limit,
        };
      },
    );

    app.delete(
      '/v1/responses/:id',
      {
        schema: {
          tags: ['openai'],
          summary: 'Delete a response (and the messages of its turn)',
          headers,
          params,
          response: {
            200: z.object({ id: z.string(), object: z.literal('response'), deleted: z.literal(true) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const { tenantId } = await openAiTenant(services, request);
        const turnId = turnOf(request.params.id);
        if (!(await services.storage.deleteResponse(tenantId, turnId))) throw new AppError('RESPONSE_NOT_FOUND');
        // After the rows: a resume already answers 404; this drops the events' content.
        await services.turnEvents.purge(tenantId, [turnId]);
        return { id: responseIdOf(turnId), object: 'response' as const, deleted: true as const };
      },
    );
  };
}

/**
 * A branch's fork in which no turn started (the turn was refused: a limit, a busy provider) is
 * removed, so a refused request leaves nothing behind. Best effort: a fork that stays holds only a
 * copy of history the tenant already has.
 */
async function dropUnusedFork(services: AppServices, plan: ResponsePlan): Promise<void> {
  if (!plan.fork) return;
  try {
    const fork = await services.storage.getSession(plan.tenantId, plan.sessionId);
    if (fork?.messageCount === plan.fork.messageCount) await services.storage.deleteSession(plan.tenantId, fork.id);
  } catch {
    // Left as it is (see above); the request's own error is the answer.
  }
}

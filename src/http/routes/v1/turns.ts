import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_CONCURRENCY } from '../../../core/turns/session-lock.ts';
import type { TurnEvent } from '../../../core/agents/turn-event.ts';
import { isAppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { settlingTurns } from '../../idempotency.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { messageSchema, toMessageJson, toUsageJson, usageSchema } from '../../schemas/message.ts';
import { problems } from '../../schemas/problem.ts';
import { sessionIdSchema } from '../../schemas/session.ts';
import { createSseWriter } from '../../sse/sse-writer.ts';

/** The JSON payload of each SSE event, in snake_case like the rest of the API. */
function eventData(event: TurnEvent): Record<string, unknown> {
  switch (event.type) {
    case 'turn-start':
      return { turn_id: event.turnId, session_id: event.sessionId, user_message: toMessageJson(event.userMessage) };
    case 'text-delta':
      return { turn_id: event.turnId, delta: event.delta };
    case 'tool-call':
      return { turn_id: event.turnId, tool_call_id: event.toolCallId, tool_name: event.toolName, input: event.input };
    case 'tool-result':
      return {
        turn_id: event.turnId,
        tool_call_id: event.toolCallId,
        tool_name: event.toolName,
        output: event.output,
        is_error: event.isError,
      };
    case 'turn-end':
      return {
        turn_id: event.turnId,
        messages: event.messages.map(toMessageJson),
        usage: toUsageJson(event.usage),
        latency_ms: Math.round(event.latencyMs),
      };
    case 'error':
      return { turn_id: event.turnId, code: event.code, message: event.message };
  }
}

/** `POST /v1/sessions/{id}/messages`: runs one turn, as JSON or as an SSE stream. */
export function turnRoutes(services: AppServices, options: { messageMaxChars: number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/sessions/:id/messages',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Send a message and run one agent turn',
          description:
            'Returns the stored user message, the assistant (and tool) messages, and token usage. With `Accept: text/event-stream` the turn streams as SSE events `turn-start`, `text-delta`, `tool-call`, `tool-result`, `turn-end` (or `error`). A turn cancelled through `POST /v1/turns/{id}/cancel` answers 409 `TURN_CANCELLED` (streamed: an `error` event with that code).',
          headers: z.looseObject({
            'tenant-id': z.string().optional(),
            'idempotency-key': z
              .string()
              .optional()
              .describe(
                'Makes the turn exactly-once: a retry with the same key and body gets the first response (replayed, with `Idempotent-Replayed: true`) without running the model again; see docs/api.md.',
              ),
          }),
          params: z.object({ id: sessionIdSchema }),
          body: z
            .object({
              content: z.string().min(1).max(options.messageMaxChars),
              language: z
                .string()
                .min(1)
                .max(35)
                .optional()
                .describe(
                  "Response language for this turn (en, es, fr, de, ja), over the tenant config's; another value answers 422 UNSUPPORTED_LANGUAGE.",
                ),
              session_concurrency: z
                .enum(SESSION_CONCURRENCY)
                .optional()
                .describe(
                  "While another turn runs on the session: `enqueue` (run after it) or `reject` (409 SESSION_BUSY), over the tenant config's `sessionConcurrency`.",
                ),
            })
            .strict(),
          response: {
            200: z.object({
              turn_id: z.string(),
              user_message: messageSchema,
              messages: z.array(messageSchema),
              reply: messageSchema,
              usage: usageSchema,
              latency_ms: z.number().int(),
            }),
            ...problems(400, 401, 403, 404, 409, 413, 422, 429, 502),
          },
        },
      },
      async (request, reply) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const turn = {
          tenantId: access.tenantId,
          sessionId: request.params.id,
          text: request.body.content,
          language: request.body.language ?? null,
          requestId: request.id,
          config: access.config,
          actor: access.actor,
          limits: access.limits,
          // Configs stored before the field existed lack it: they mean `enqueue`.
          sessionConcurrency: request.body.session_concurrency ?? access.config.config.sessionConcurrency ?? 'enqueue',
        };
        if (!request.headers.accept?.includes('text/event-stream')) {
          const result = await services.runTurn(turn);
          return {
            turn_id: result.turnId,
            user_message: toMessageJson(result.userMessage),
            messages: result.messages.map(toMessageJson),
            reply: toMessageJson(result.reply),
            usage: toUsageJson(result.usage),
            latency_ms: Math.round(result.latencyMs),
          };
        }
        // Errors before the first event (unknown session) still answer as problem+json.
        const abort = new AbortController();
        let writer: ReturnType<typeof createSseWriter> | null = null;
        const onEvent = (event: TurnEvent) => {
          if (!writer) {
            reply.hijack();
            writer = createSseWriter(reply.raw, { 'x-request-id': request.id });
            services.metrics.streamOpened();
            reply.raw.once('close', () => {
              services.metrics.streamClosed();
              if (!reply.raw.writableEnded) abort.abort(new Error('client disconnected'));
            });
          }
          writer.send(event.type, eventData(event));
        };
        try {
          await settlingTurns(services, request, reply).runTurn({ ...turn, signal: abort.signal, onEvent });
        } catch (error) {
          if (!writer) throw error;
          if (!isAppError(error)) request.log.error({ err: error }, 'streamed turn failed');
        }
        (writer as ReturnType<typeof createSseWriter> | null)?.end();
        return reply;
      },
    );
  };
}

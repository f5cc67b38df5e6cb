import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_CONCURRENCY } from '../../../core/turns/session-lock.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { startBackgroundTurn } from '../../background-turn.ts';
import { claimingTurns, settlingTurns } from '../../idempotency.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { messageSchema, toMessageJson, toUsageJson, usageSchema } from '../../schemas/message.ts';
import { problems } from '../../schemas/problem.ts';
import { sessionIdSchema } from '../../schemas/session.ts';
import { sessionAgent } from '../../session-agent.ts';
import { type StreamSettings, streamTurn } from '../../sse/stream-turn.ts';

/** `POST /v1/sessions/{id}/messages`: runs one turn, as JSON or as an SSE stream. */
export function turnRoutes(
  services: AppServices,
  options: { messageMaxChars: number } & StreamSettings,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/sessions/:id/messages',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Send a message and run one agent turn',
          description:
            'Returns the stored user message, the assistant (and tool) messages, and token usage. With `Accept: text/event-stream` the turn streams as SSE events `turn-start`, `text-delta`, `tool-call`, `tool-result`, `turn-end` (or `error`), each with its `seq` as the SSE id; a client that loses the stream resumes it with `GET /v1/turns/{id}/events` (never by repeating this POST, which would start another turn), and a turn nobody resumes within `STREAM_DISCONNECT_GRACE_MS` of the client leaving is cancelled. With `"background": true` the turn runs detached and the answer is 202 at once (follow it with `GET /v1/turns/{id}` and `/events`). A turn cancelled through `POST /v1/turns/{id}/cancel` answers 409 `TURN_CANCELLED` (streamed: an `error` event with that code).',
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
                .meta({
                  description:
                    "Response language for this turn (en, es, fr, de, ja), over the tenant config's; another value answers 422 UNSUPPORTED_LANGUAGE.",
                  examples: ['en'],
                }),
              background: z
                .boolean()
                .optional()
                .describe(
                  'Run the turn detached from this request: answers 202 once the user message is stored; the turn runs on if the client goes away, and its events are kept for `GET /v1/turns/{id}/events`.',
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
            202: z.object({
              turn_id: z.string(),
              session_id: z.string(),
              status: z.literal('running'),
              user_message: messageSchema,
              status_url: z.string(),
              events_url: z.string(),
            }),
            ...problems(400, 401, 403, 404, 409, 413, 422, 429, 502),
          },
        },
      },
      async (request, reply) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const agent = await sessionAgent(services, access, request.params.id);
        const turn = {
          tenantId: access.tenantId,
          sessionId: request.params.id,
          text: request.body.content,
          language: request.body.language ?? null,
          requestId: request.id,
          config: agent.config,
          agentId: agent.agentId,
          actor: access.actor,
          limits: agent.limits,
          // Configs stored before the field existed lack it: they mean `enqueue`.
          sessionConcurrency: request.body.session_concurrency ?? agent.config.config.sessionConcurrency ?? 'enqueue',
        };
        if (request.body.background) {
          const start = await startBackgroundTurn(services, turn, request.log);
          const path = `/v1/turns/${start.turnId}`;
          return reply.code(202).send({
            turn_id: start.turnId,
            session_id: start.sessionId,
            status: 'running' as const,
            user_message: toMessageJson(start.userMessage),
            status_url: path,
            events_url: `${path}/events`,
          });
        }
        if (!request.headers.accept?.includes('text/event-stream')) {
          const result = await claimingTurns(services, request).runTurn(turn);
          return {
            turn_id: result.turnId,
            user_message: toMessageJson(result.userMessage),
            messages: result.messages.map(toMessageJson),
            reply: toMessageJson(result.reply),
            usage: toUsageJson(result.usage),
            latency_ms: Math.round(result.latencyMs),
          };
        }
        return streamTurn(settlingTurns(services, request, reply), request, reply, turn, options);
      },
    );
  };
}

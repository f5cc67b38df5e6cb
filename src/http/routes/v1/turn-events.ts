import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, isAppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { openTurnEvents } from '../../open-turn-events.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { problems } from '../../schemas/problem.ts';
import { createSseWriter } from '../../sse/sse-writer.ts';
import { turnEventJson } from '../../sse/turn-event-json.ts';
import { turnIdSchema } from './turn-cancel.ts';

/** A `seq` as a client sends it back: digits only, as the SSE ids are written. */
const SEQ = /^\d{1,15}$/;

/**
 * Where a resumed stream starts: after `Last-Event-ID` when sent (an EventSource reconnecting sends
 * it to the same URL, whose `after` is then stale), else after `after`, else from the first event.
 */
function resumePoint(lastEventId: string | undefined, after: string | undefined): number {
  if (lastEventId !== undefined) {
    if (!SEQ.test(lastEventId)) {
      throw new AppError('VALIDATION_FAILED', 'headers.last-event-id: must be the seq of an event (digits)');
    }
    return Number(lastEventId);
  }
  return after === undefined ? 0 : Number(after);
}

/** `GET /v1/turns/{id}/events`: a turn's events after a point, then its live tail, as SSE. */
export function turnEventRoutes(services: AppServices, settings: { heartbeatMs: number }): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/turns/:id/events',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Resume the event stream of a turn',
          description:
            'Server-Sent Events: the events of the turn with `seq` greater than `Last-Event-ID` (or `after`, default 0), then its live events until `turn-end` or `error`, with no gaps and no repeats, each with its `seq` as the SSE id; idle streams get `: ping` comments. Works on any replica (with Redis) while the turn runs and for `STREAM_RESUME_WINDOW_MS` after it ended. Following a turn keeps it running after its own client went away. Another tenant’s turn, and one deleted with its session, end user or tenant, answers 404 `TURN_NOT_FOUND`, exactly like an unknown id; a turn whose events are no longer kept (or that was never streamed) answers 410 `TURN_EVENTS_EXPIRED`.',
          headers: z.looseObject({ 'tenant-id': z.string().optional(), 'last-event-id': z.string().optional() }),
          params: z.object({ id: turnIdSchema }),
          querystring: z
            .object({
              after: z
                .string()
                .regex(SEQ, 'must be a seq (digits)')
                .optional()
                .describe('Send the events after this `seq`; `Last-Event-ID` takes precedence.'),
            })
            .strict(),
          response: {
            200: z.string().describe('text/event-stream: `turn-start`, `text-delta`, … `turn-end` or `error`'),
            ...problems(400, 401, 403, 404, 410, 422, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const turnId = request.params.id;
        const after = resumePoint(request.headers['last-event-id'], request.query.after);
        const abort = new AbortController();
        const events = await openTurnEvents(services, access.tenantId, turnId, after, abort.signal);
        reply.hijack();
        const writer = createSseWriter(reply.raw, {
          headers: { 'x-request-id': request.id },
          heartbeatMs: settings.heartbeatMs,
        });
        services.metrics.streamOpened();
        reply.raw.once('close', () => {
          services.metrics.streamClosed();
          abort.abort();
        });
        try {
          for await (const event of events) writer.send(event.seq, event.type, turnEventJson(event));
        } catch (error) {
          // The stream is open: the client sees it end and resumes from its last id.
          if (!isAppError(error)) request.log.error({ err: error }, 'resumed stream failed');
          else request.log.warn({ code: error.code }, 'resumed stream ended early');
        }
        writer.end();
        return reply;
      },
    );
  };
}

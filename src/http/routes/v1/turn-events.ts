import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TurnEvent } from '../../../core/agents/turn-event.ts';
import { AppError, isAppError } from '../../../core/errors.ts';
import { tenantAccess } from '../../access.ts';
import type { AppServices } from '../../app-services.ts';
import { openTurnEvents } from '../../open-turn-events.ts';
import { namedTenant } from '../../plugins/tenant-header.ts';
import { problems } from '../../schemas/problem.ts';
import { createSseWriter } from '../../sse/sse-writer.ts';
import { turnEventJson, turnEventName } from '../../sse/turn-event-json.ts';
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
export function turnEventRoutes(
  services: AppServices,
  settings: { heartbeatMs: number; legacyErrorEvent: boolean },
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/turns/:id/events',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Resume the event stream of a turn',
          description:
            'Server-Sent Events: the events of the turn with `seq` greater than `Last-Event-ID` (or `after`, default 0), then its live events until `turn-end` or `turn-error`, with no gaps and no repeats, each with its `seq` as the SSE id; idle streams get `: ping` comments. **204** (no body) when the turn has ended and no event is left after that point, which tells an `EventSource` to stop reconnecting. Works on any replica (with Redis) while the turn runs and for `STREAM_RESUME_WINDOW_MS` after it ended. Following a turn keeps it running after its own client went away. Another tenant’s turn, and one deleted with its session, end user or tenant, answers 404 `TURN_NOT_FOUND`, exactly like an unknown id; a turn whose events are no longer kept (or that was never streamed) answers 410 `TURN_EVENTS_EXPIRED`.',
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
            200: z.string().describe('text/event-stream: `turn-start`, `text-delta`, … `turn-end` or `turn-error`'),
            204: z.null().describe('The turn has ended and has no event after the resume point'),
            ...problems(400, 401, 403, 404, 410, 422, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const access = await tenantAccess(request, services.tenants, { scope: 'chat', named: namedTenant(request) });
        const turnId = request.params.id;
        const after = resumePoint(request.headers['last-event-id'], request.query.after);
        // Asked before the log is read: a turn that had ended by then has its whole log stored, so the
        // read yields what is left and ends without waiting for a live event.
        const ended = !(await services.turns.isRunning(access.tenantId, turnId));
        const abort = new AbortController();
        const events = await openTurnEvents(services, access.tenantId, turnId, after, abort.signal);
        const iterator = events[Symbol.asyncIterator]();
        let first: IteratorResult<TurnEvent> | null = null;
        if (ended) {
          reply.raw.once('close', () => abort.abort());
          first = await iterator.next();
          // Nothing left of a turn that is over: 204 is how SSE tells a client (an EventSource,
          // which would otherwise reconnect every few seconds forever) that the stream is done.
          if (first.done) return reply.code(204).send(null);
        }
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
          const send = (event: TurnEvent) =>
            writer.send(event.seq, turnEventName(event, settings.legacyErrorEvent), turnEventJson(event));
          if (first) send(first.value);
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) send(next.value);
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

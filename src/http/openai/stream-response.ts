import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TurnEvent } from '../../core/agents/turn-event.ts';
import { isAppError } from '../../core/errors.ts';
import type { StoredResponse } from '../../core/responses/stored-response.ts';
import type { AppServices } from '../app-services.ts';
import { openTurnEvents } from '../open-turn-events.ts';
import { createSseWriter } from '../sse/sse-writer.ts';
import type { SseFrame } from '../sse/stream-turn.ts';
import type { ResponseStreamEvent } from './open-responses-schema.ts';
import { clientToolNames } from './response-resource.ts';
import { createResponseEncoder, type ResponseEncoder } from './response-stream-encoder.ts';

/** A stored response's stream encoder (the same one its live stream used). */
export function encoderOf(stored: Pick<StoredResponse, 'turnId' | 'settings' | 'previousTurnId'>): ResponseEncoder {
  return createResponseEncoder(
    { turnId: stored.turnId, settings: stored.settings, previousTurnId: stored.previousTurnId },
    clientToolNames(stored.settings),
  );
}

/** Responses events as SSE: the event's `type` names it and its `sequence_number` is its id. */
export function toFrames(events: readonly ResponseStreamEvent[]): SseFrame[] {
  return events.map((event) => ({ id: event.sequence_number, name: event.type, data: event }));
}

/**
 * A stored response's events with `sequence_number > startingAfter`, then its live tail, as SSE:
 * the turn's event log (on any replica, while it runs and for the resume window after) re-encoded
 * from its first event, so the numbering is the one the first stream had. A turn whose log is gone
 * answers TURN_EVENTS_EXPIRED (410) before anything is written.
 */
export async function streamStoredResponse(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { tenantId: string; stored: StoredResponse; startingAfter: number; heartbeatMs: number },
): Promise<FastifyReply> {
  const abort = new AbortController();
  const events = await openTurnEvents(services, options.tenantId, options.stored.turnId, 0, abort.signal);
  const encoder = encoderOf(options.stored);
  reply.hijack();
  const writer = createSseWriter(reply.raw, {
    headers: { 'x-request-id': request.id },
    heartbeatMs: options.heartbeatMs,
  });
  services.metrics.streamOpened();
  reply.raw.once('close', () => {
    services.metrics.streamClosed();
    abort.abort();
  });
  try {
    for await (const event of events as AsyncIterable<TurnEvent>) {
      const frames = toFrames(encoder.encode(event)).filter((frame) => frame.id > options.startingAfter);
      for (const frame of frames) writer.send(frame.id, frame.name, frame.data);
    }
  } catch (error) {
    // The stream is open: the client sees it end and resumes from its last sequence number.
    if (!isAppError(error)) request.log.error({ err: error }, 'resumed response stream failed');
    else request.log.warn({ code: error.code }, 'resumed response stream ended early');
  }
  writer.end();
  return reply;
}

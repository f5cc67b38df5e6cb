import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TurnRequest } from '../../core/agents/run-agent.ts';
import type { TurnEvent } from '../../core/agents/turn-event.ts';
import { AppError, isAppError } from '../../core/errors.ts';
import { cancelWhenUnwatched } from '../../core/turns/cancel-when-unwatched.ts';
import type { AppServices } from '../app-services.ts';
import { createSseWriter, type SseWriter } from './sse-writer.ts';
import { turnEventJson, turnEventName } from './turn-event-json.ts';

export interface StreamSettings {
  /** Idle time before a `: ping` comment (0: none). */
  heartbeatMs: number;
  /** How long a turn whose client went away runs on, waiting for the client to resume it. */
  disconnectGraceMs: number;
  /** Name a turn's failure `error`, as before, instead of `turn-error` (`STREAM_LEGACY_ERROR_EVENT`). */
  legacyErrorEvent: boolean;
}

/** One SSE event: its id, name and JSON data. */
export interface SseFrame {
  id: number;
  name: string;
  data: unknown;
}

/**
 * How a turn's events are written: Enclave's own (one frame per event, its `seq` as the id) by
 * default; the Responses API writes the same events through its own encoder.
 */
export type TurnEventEncoder = (event: TurnEvent) => readonly SseFrame[];

/**
 * Runs a turn and streams its events as SSE on the response, each with its `seq` as the SSE id.
 * A failure before the first event (unknown session, a limit) still answers as problem+json. If
 * the client goes away, the turn is cancelled once nobody has resumed it within the grace time.
 */
export async function streamTurn(
  services: AppServices,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: TurnRequest,
  settings: StreamSettings,
  encode: TurnEventEncoder = (event) => [
    { id: event.seq, name: turnEventName(event, settings.legacyErrorEvent), data: turnEventJson(event) },
  ],
): Promise<FastifyReply> {
  const abort = new AbortController();
  let writer: SseWriter | null = null;
  let turnId: string | null = null;
  let ended = false;
  reply.raw.once('close', () => {
    if (writer) services.metrics.streamClosed();
    if (ended || reply.raw.writableEnded) return;
    cancelWhenUnwatched(
      services.turnEvents,
      {
        tenantId: turn.tenantId,
        turnId,
        cancel: () => abort.abort(new AppError('TURN_CANCELLED', 'The client went away')),
        ended: () => ended,
      },
      settings.disconnectGraceMs,
    );
  });
  const onEvent = (event: TurnEvent) => {
    if (!writer) {
      turnId = event.turnId;
      reply.hijack();
      writer = createSseWriter(reply.raw, {
        headers: { 'x-request-id': request.id },
        heartbeatMs: settings.heartbeatMs,
      });
      services.metrics.streamOpened();
    }
    for (const frame of encode(event)) writer.send(frame.id, frame.name, frame.data);
  };
  try {
    await services.runTurn({ ...turn, signal: abort.signal, onEvent });
  } catch (error) {
    if (!writer) throw error;
    if (!isAppError(error)) request.log.error({ err: error }, 'streamed turn failed');
  } finally {
    ended = true;
  }
  (writer as SseWriter | null)?.end();
  return reply;
}

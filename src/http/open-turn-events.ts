import type { TurnEvent } from '../core/agents/turn-event.ts';
import { AppError } from '../core/errors.ts';
import type { AppServices } from './app-services.ts';

/**
 * The events of one of the tenant's turns with `seq > after`, then its live tail (see
 * `TurnEventLog.read`), for a resume over SSE or the WebSocket. Storage is asked first: a turn's
 * user message is stored before its first event, so a turn it does not hold (unknown, another
 * tenant's, or deleted with its session, its user or its tenant) answers `TURN_NOT_FOUND` even
 * while a log of it lingers somewhere. A turn of the tenant's whose log is gone (the window passed,
 * never streamed) answers `TURN_EVENTS_EXPIRED`.
 */
export async function openTurnEvents(
  services: Pick<AppServices, 'storage' | 'turnEvents'>,
  tenantId: string,
  turnId: string,
  after: number,
  signal: AbortSignal,
): Promise<AsyncIterable<TurnEvent>> {
  if ((await services.storage.getTurn(tenantId, turnId)).length === 0) throw new AppError('TURN_NOT_FOUND');
  const events = await services.turnEvents.read(tenantId, turnId, after, signal);
  if (!events) throw new AppError('TURN_EVENTS_EXPIRED');
  return events;
}

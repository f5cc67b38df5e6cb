import type { FastifyBaseLogger } from 'fastify';
import type { TurnRequest } from '../core/agents/run-agent.ts';
import type { TurnEvent } from '../core/agents/turn-event.ts';
import { isAppError } from '../core/errors.ts';
import type { AppServices } from './app-services.ts';

/**
 * Starts a turn detached from the request: no signal ties it to the client, its events go only
 * to the event log, and graceful shutdown waits for it. Resolves with `turn-start` once that event
 * is in the log (so a reader on any replica finds the turn); a failure before it (unknown session,
 * a limit) rejects, so the caller answers it like any other.
 */
export function startBackgroundTurn(
  services: AppServices,
  turn: TurnRequest,
  log: FastifyBaseLogger,
): Promise<Extract<TurnEvent, { type: 'turn-start' }>> {
  return new Promise((resolve, reject) => {
    let started = false;
    const run = services.runTurn({
      ...turn,
      onEvent(event, stored) {
        if (event.type !== 'turn-start') return;
        started = true;
        void stored.then(() => resolve(event));
      },
    });
    services.backgroundTurns.track(run);
    run.catch((error: unknown) => {
      if (!started) reject(error);
      else if (!isAppError(error)) log.error({ err: error }, 'background turn failed');
    });
  });
}

import type { TurnEventLog } from './turn-event-log.ts';

export interface UnwatchedTurn {
  tenantId: string;
  /** Null when the client left before `turn-start`: nobody can resume it, so it stops at once. */
  turnId: string | null;
  /** Stops the turn (aborts its model call). */
  cancel(): void;
  /** True once the turn has ended; no check runs after that. */
  ended(): boolean;
}

/**
 * What happens to a turn whose client went away (an SSE response closed, a WebSocket closed): it
 * is cancelled after `graceMs`, unless a reader follows it through the event log by then (the
 * client came back with `Last-Event-ID`, on any replica), in which case it runs on and is checked
 * again every `graceMs` (at least a second) until it ends or nobody follows it any more. A failing
 * log counts as nobody following.
 */
export function cancelWhenUnwatched(events: Pick<TurnEventLog, 'hasReaders'>, turn: UnwatchedTurn, graceMs: number) {
  const { turnId } = turn;
  if (turnId === null) {
    turn.cancel();
    return;
  }
  const check = async () => {
    if (turn.ended()) return;
    const watched = await events.hasReaders(turn.tenantId, turnId).catch(() => false);
    if (turn.ended()) return;
    if (!watched) turn.cancel();
    else setTimeout(check, Math.max(graceMs, 1_000)).unref();
  };
  setTimeout(check, graceMs).unref();
}

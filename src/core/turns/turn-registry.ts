import { AppError } from '../errors.ts';
import type { TurnBus } from './turn-bus.ts';

/** A turn this process runs, as the registry tracks it. */
export interface TrackedTurn {
  /** Aborted, with an `AppError('TURN_CANCELLED')` as its reason, when a cancel for this turn arrives. */
  readonly signal: AbortSignal;
  /** Forgets the turn here and on the bus. Call once when the turn ends, however it ends; later calls do nothing. */
  end(): Promise<void>;
}

/**
 * This process's running turns, by (tenant, turn), registered on the bus so that a cancel sent to
 * any replica reaches the one that runs the turn. Callers pass the tenant the request acts for
 * (resolved from its credential); a cancel aborts only the turn with exactly that tenant and id.
 */
export interface TurnRegistry {
  /** Tracks a turn that is starting. Resolves once it is marked running, so a cancel sent after this finds it. */
  begin(tenantId: string, turnId: string): Promise<TrackedTurn>;
  /**
   * Asks whichever replica runs (tenant, turn) to cancel it. False when no such turn is running:
   * another tenant's turn with this id answers the same as a missing one.
   */
  cancel(tenantId: string, turnId: string): Promise<boolean>;
  /** Whether (tenant, turn) runs on any replica now; another tenant's turn with this id answers false. */
  isRunning(tenantId: string, turnId: string): Promise<boolean>;
}

export interface TurnRegistryOptions {
  bus: TurnBus;
  /** How long a running mark outlives its last refresh (a crashed replica's turns expire after this). Default 30 s. */
  ttlMs?: number;
  /**
   * A bus call that failed while tracking (mark, refresh, subscribe). The turn runs on regardless:
   * losing the ability to cancel it is better than failing it.
   */
  onError(error: unknown): void;
}

interface Entry {
  tenantId: string;
  turnId: string;
  controller: AbortController;
}

// JSON keeps the pair unambiguous whatever the ids contain.
const keyOf = (tenantId: string, turnId: string) => JSON.stringify([tenantId, turnId]);

export function createTurnRegistry(options: TurnRegistryOptions): TurnRegistry {
  const { bus, onError } = options;
  const ttlMs = options.ttlMs ?? 30_000;
  const running = new Map<string, Entry>();
  // One timer refreshes every running mark while any turn runs, and stops when none does.
  let refresher: ReturnType<typeof setInterval> | null = null;

  bus
    .onCancel((tenantId, turnId) => {
      running.get(keyOf(tenantId, turnId))?.controller.abort(new AppError('TURN_CANCELLED', 'The turn was cancelled'));
    })
    .catch(onError);

  function refresh() {
    for (const { tenantId, turnId } of running.values()) bus.markRunning(tenantId, turnId, ttlMs).catch(onError);
  }

  return {
    async begin(tenantId, turnId) {
      const key = keyOf(tenantId, turnId);
      if (running.has(key)) throw new Error(`turn ${turnId} is already tracked`);
      const entry = { tenantId, turnId, controller: new AbortController() };
      running.set(key, entry);
      if (!refresher) {
        refresher = setInterval(refresh, Math.max(1, Math.floor(ttlMs / 3)));
        refresher.unref();
      }
      await bus.markRunning(tenantId, turnId, ttlMs).catch(onError);
      let ended = false;
      return {
        signal: entry.controller.signal,
        async end() {
          if (ended) return;
          ended = true;
          running.delete(key);
          if (running.size === 0 && refresher) {
            clearInterval(refresher);
            refresher = null;
          }
          await bus.markDone(tenantId, turnId).catch(onError);
        },
      };
    },
    isRunning: (tenantId, turnId) => bus.isRunning(tenantId, turnId),
    async cancel(tenantId, turnId) {
      if (!(await bus.isRunning(tenantId, turnId))) return false;
      await bus.publishCancel(tenantId, turnId);
      return true;
    },
  };
}

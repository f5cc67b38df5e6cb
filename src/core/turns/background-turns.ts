/**
 * Turns that run detached from any request (`"background": true`). Graceful shutdown waits for
 * them as it waits for in-flight requests, so a background turn is stored before the database
 * closes.
 */
export interface BackgroundTurns {
  /** Follows a running turn until it settles; its outcome is the turn's own business (stored, logged). */
  track(run: Promise<unknown>): void;
  /** How many are running now. */
  readonly size: number;
  /** Resolves once every turn tracked so far (and any tracked while waiting) has settled. */
  drain(): Promise<void>;
}

export function createBackgroundTurns(): BackgroundTurns {
  const running = new Set<Promise<unknown>>();
  return {
    track(run) {
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      running.add(settled);
      void settled.then(() => running.delete(settled));
    },
    get size() {
      return running.size;
    },
    async drain() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}

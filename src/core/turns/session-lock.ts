/**
 * What happens to a turn sent to a session while another turn runs there: `enqueue` waits its
 * turn (turns run one after another, in arrival order), `reject` answers 409 SESSION_BUSY.
 */
export const SESSION_CONCURRENCY = ['enqueue', 'reject'] as const;
export type SessionConcurrency = (typeof SESSION_CONCURRENCY)[number];

/** A held session lock. */
export interface SessionLease {
  /** Lets the next waiting turn in. Call once, however the turn ends; later calls do nothing. */
  release(): Promise<void>;
}

/**
 * One turn at a time per (tenant, session). One process keeps the queues in memory; several share
 * them through Redis (`src/events`). Every key is the pair: a session id alone never names a lock,
 * so one tenant's turns can never wait for, or learn about, another tenant's session. The caller
 * passes the tenant its request was authorised for.
 */
export interface SessionLock {
  /**
   * Takes the session's lock. `reject`: throws SESSION_BUSY when a turn holds it or waits for it.
   * `enqueue`: waits behind every turn that came first, up to the lock's wait limit (then
   * SESSION_BUSY); an aborted `signal` stops the wait and throws its reason.
   */
  acquire(
    tenantId: string,
    sessionId: string,
    options: { mode: SessionConcurrency; signal?: AbortSignal | undefined },
  ): Promise<SessionLease>;
  /** Stops timers and drops connections the lock opened itself. */
  close(): Promise<void>;
}

/** Called with the tenant and turn named by a cancel request, on every replica. */
export type CancelHandler = (tenantId: string, turnId: string) => void;

/**
 * The turn event bus: which turns are running on any replica, and cancel requests delivered to
 * every replica. One process uses the memory bus; several share one through Redis (`src/events`).
 *
 * Every key is the pair (tenant, turn): a turn id alone never names a turn, so one tenant cannot
 * see or cancel another's turn even with its id. Authorisation (which tenant a request acts for)
 * is the caller's job: the HTTP route passes the tenant of the request's principal.
 */
export interface TurnBus {
  /** Delivers a cancel for (tenant, turn) to every subscribed replica, this one included. */
  publishCancel(tenantId: string, turnId: string): Promise<void>;
  /**
   * Subscribes to cancels. The handler runs for every cancel published on the bus, whoever
   * published it, and must itself match the pair to its own turns. Resolves once subscribed.
   */
  onCancel(handler: CancelHandler): Promise<void>;
  /** Marks (tenant, turn) as running for `ttlMs`; calling it again refreshes the expiry. */
  markRunning(tenantId: string, turnId: string, ttlMs: number): Promise<void>;
  /** Whether (tenant, turn) is marked running and the mark has not expired. */
  isRunning(tenantId: string, turnId: string): Promise<boolean>;
  /** Removes the running mark of (tenant, turn); nothing happens when there is none. */
  markDone(tenantId: string, turnId: string): Promise<void>;
  /** Throws unless the bus delivers cancels now (for readiness checks). */
  ready(): Promise<void>;
  /** Stops delivering cancels and releases what the bus opened itself (not a connection it was given). */
  close(): Promise<void>;
}

import type { TurnEvent } from '../agents/turn-event.ts';

/**
 * The events of each running and recently ended turn, kept so that a client that lost its stream
 * (or another client of the same tenant) can read what it missed and then the live tail, on any
 * replica. Memory for one process, Redis for several (`src/events`).
 *
 * Every key is the pair (tenant, turn): a turn id alone never names a log, so one tenant cannot
 * read another's events even with its id. Authorisation (which tenant a request acts for) is the
 * caller's job: routes pass the tenant of the request's principal.
 */
export interface TurnEventLog {
  /**
   * Appends the next event of (tenant, `event.turnId`); the events of one turn arrive in `seq`
   * order. The final event (`turn-end` or `error`) starts the resume window, after which the log
   * is dropped; while the turn runs, each append extends it. Only the first event (`seq` 1) starts
   * a log: a later event whose log is gone (purged, or expired while the turn sat idle) is not
   * kept, so a turn still running when its session was deleted cannot write its log back. Never
   * rejects: a failure is reported by the adapter and the turn runs on (its live stream does not
   * depend on the log). Resolves once the event is stored, so a reader on any replica that starts
   * afterwards sees it.
   */
  append(tenantId: string, event: TurnEvent): Promise<void>;
  /**
   * The events of (tenant, turn) with `seq > after`: those stored, then the live ones as they are
   * appended, without gaps or repeats, ending after the final event, when `signal` aborts, or when
   * the log disappears (expired). Null when there is no log for the pair (never streamed, expired,
   * unknown, or another tenant's). Throws `TURN_EVENTS_EXPIRED` when events after `after` were
   * already dropped (the size cap).
   */
  read(tenantId: string, turnId: string, after: number, signal: AbortSignal): Promise<AsyncIterable<TurnEvent> | null>;
  /**
   * Drops the logs of these turns of the tenant (a deleted session's, an erased user's) and ends
   * their readers (with Redis, on every replica within the readers' poll interval). Touches no
   * other tenant's logs, whatever the ids. Never rejects: a failure is reported by the adapter, and
   * those events then expire with the window.
   */
  purge(tenantId: string, turnIds: readonly string[]): Promise<void>;
  /** Drops every log of the tenant (a deleted tenant), like `purge`; never another tenant's. */
  purgeTenant(tenantId: string): Promise<void>;
  /** Whether a reader (a resumed stream, on any replica) is following (tenant, turn) right now. */
  hasReaders(tenantId: string, turnId: string): Promise<boolean>;
  /** Ends every reader and releases what the log opened itself (not a connection it was given). */
  close(): Promise<void>;
}

/** Settings shared by the adapters. */
export interface TurnEventLogOptions {
  /** How long a turn's events are kept after its final event (and after its last event while it runs). */
  windowMs: number;
  /** Most events kept per turn; older ones are dropped first. */
  maxEvents: number;
}

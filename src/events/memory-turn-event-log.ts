import type { TurnEvent } from '../core/agents/turn-event.ts';
import { isFinalTurnEvent } from '../core/agents/turn-event.ts';
import { AppError } from '../core/errors.ts';
import type { TurnEventLog, TurnEventLogOptions } from '../core/turns/turn-event-log.ts';
import { createEventFeed, type EventFeed } from './event-feed.ts';

interface Entry {
  tenantId: string;
  /** The newest `maxEvents` events, in `seq` order. */
  events: TurnEvent[];
  ended: boolean;
  expiresAt: number;
  readers: Set<EventFeed<TurnEvent>>;
}

/**
 * The turn event log of a single process: each turn's events in a map, readers fed as events
 * arrive. An entry lives `windowMs` past its last event; a timer drops expired ones (and ends
 * their readers) while any entry exists.
 */
export function createMemoryTurnEventLog(options: TurnEventLogOptions & { now?: () => number }): TurnEventLog {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  // Length-prefixed, so no two (tenant, turn) pairs share a key; cheaper than JSON on every event.
  const keyOf = (tenantId: string, turnId: string) => `${tenantId.length}:${tenantId}${turnId}`;
  let sweeper: ReturnType<typeof setInterval> | null = null;

  function drop(key: string, entry: Entry) {
    entries.delete(key);
    for (const reader of entry.readers) reader.end();
  }

  function sweep() {
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) drop(key, entry);
    if (entries.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  }

  /** The live entry of a pair, or undefined (an expired one is dropped on the way). */
  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      drop(key, entry);
      return undefined;
    }
    return entry;
  }

  return {
    async append(tenantId, event) {
      const key = keyOf(tenantId, event.turnId);
      let entry = live(key);
      if (!entry) {
        // Only a turn's first event starts its log: see TurnEventLog.append.
        if (event.seq !== 1) return;
        entry = { tenantId, events: [], ended: false, expiresAt: 0, readers: new Set() };
        entries.set(key, entry);
        sweeper ??= setInterval(sweep, Math.max(10, Math.min(options.windowMs, 30_000)));
        sweeper.unref();
      }
      const last = entry.events.at(-1);
      if (entry.ended || (last && event.seq <= last.seq)) return;
      entry.events.push(event);
      if (entry.events.length > options.maxEvents) entry.events.shift();
      entry.expiresAt = now() + options.windowMs;
      entry.ended = isFinalTurnEvent(event);
      for (const reader of entry.readers) {
        reader.push(event);
        if (entry.ended) reader.end();
      }
    },
    async read(tenantId, turnId, after, signal) {
      const entry = live(keyOf(tenantId, turnId));
      if (!entry) return null;
      const first = entry.events[0];
      if (first && first.seq > after + 1) throw new AppError('TURN_EVENTS_EXPIRED');
      const feed = createEventFeed<TurnEvent>(signal, () => entry.readers.delete(feed));
      for (const event of entry.events) if (event.seq > after) feed.push(event);
      if (entry.ended) feed.end();
      else entry.readers.add(feed);
      return feed;
    },
    async purge(tenantId, turnIds) {
      for (const turnId of turnIds) {
        const key = keyOf(tenantId, turnId);
        const entry = entries.get(key);
        if (entry) drop(key, entry);
      }
    },
    async purgeTenant(tenantId) {
      for (const [key, entry] of entries) if (entry.tenantId === tenantId) drop(key, entry);
    },
    async hasReaders(tenantId, turnId) {
      return (live(keyOf(tenantId, turnId))?.readers.size ?? 0) > 0;
    },
    async close() {
      for (const [key, entry] of entries) drop(key, entry);
      if (sweeper) clearInterval(sweeper);
      sweeper = null;
    },
  };
}

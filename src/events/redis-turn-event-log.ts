import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TurnEvent } from '../core/agents/turn-event.ts';
import { isFinalTurnEvent } from '../core/agents/turn-event.ts';
import { AppError } from '../core/errors.ts';
import type { TurnEventLog, TurnEventLogOptions } from '../core/turns/turn-event-log.ts';
import type { TurnBusLog } from './redis-turn-bus.ts';
import { redisUnavailable } from './redis-unavailable.ts';

type StreamEntries = [id: string, fields: string[]][];
type Listener = (event: TurnEvent) => void;

/** Live events a reader has not handled yet, and how to wake it when more arrive. */
interface Inbox {
  events: TurnEvent[];
  wake: (() => void) | null;
}

/** The stream entry id of an event: its `seq`, so XRANGE by seq needs no index of its own. */
const entryId = (seq: number) => `0-${seq}`;

/**
 * Stores and publishes one event (KEYS[1]: the stream, also the channel; ARGV: seq, maxEvents,
 * windowMs, the event). Only `seq` 1 creates the stream, so a turn whose log was purged (its
 * session deleted) cannot write it back; a repeated `seq` is ignored. Returns 1 when stored.
 */
const APPEND_SCRIPT = `
if ARGV[1] ~= '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local added = redis.pcall('XADD', KEYS[1], 'MAXLEN', ARGV[2], '0-' .. ARGV[1], 'e', ARGV[4])
if type(added) == 'table' and added.err then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[1], ARGV[4])
return 1
`;
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

/** Keys deleted per UNLINK when purging. */
const PURGE_BATCH = 500;

/** `value` matched literally in a SCAN pattern. */
const globLiteral = (value: string) => value.replace(/[*?[\]\\]/g, '\\$&');

function decode(raw: string | undefined): TurnEvent | null {
  if (raw === undefined) return null;
  try {
    const event = JSON.parse(raw) as TurnEvent;
    return typeof event === 'object' && event !== null && Number.isSafeInteger(event.seq) ? event : null;
  } catch {
    return null;
  }
}

const eventsOf = (entries: StreamEntries): TurnEvent[] =>
  entries.map(([, fields]) => decode(fields[1])).filter((event): event is TurnEvent => event !== null);

/**
 * The turn event log on Redis, readable from every replica. Each turn is a Redis Stream at
 * `<prefix>turn-events:<tenantId>:<turnId>` (tenant ids cannot contain `:`, turn ids are checked by
 * the routes), with entry ids `0-<seq>`, capped at `maxEvents` entries and expiring `windowMs`
 * after its last event. Every event is also published on a channel of the same name, which a
 * replica subscribes to while it has readers of that turn (so `PUBSUB NUMSUB` counts the readers
 * of every replica). A reader subscribes first, then reads the stream, then follows the channel,
 * skipping what it has; every `pollMs` without news it reads the stream again, which fills any
 * gap (a message lost while reconnecting) and ends the reader once the stream has expired.
 *
 * `redis` is the caller's connection (commands; it stays open on `close`); the subscriptions use
 * a connection of their own, duplicated from it on the first read.
 */
export function createRedisTurnEventLog(
  redis: Redis,
  options: TurnEventLogOptions & { prefix?: string; pollMs?: number; log: TurnBusLog },
): TurnEventLog {
  const prefix = options.prefix ?? 'enclave:';
  const pollMs = options.pollMs ?? 2_000;
  const keyOf = (tenantId: string, turnId: string) => `${prefix}turn-events:${tenantId}:${turnId}`;
  const listeners = new Map<string, Set<Listener>>();
  const subscriptions = new Map<string, Promise<unknown>>();
  const wakers = new Set<() => void>();
  let subscriber: Redis | null = null;
  let closed = false;

  async function command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw redisUnavailable('turn event log', error);
    }
  }

  function connection(): Redis {
    if (subscriber) return subscriber;
    const created = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    created.on('error', (error: unknown) => options.log.warn({ err: error }, 'turn event log subscriber error'));
    created.on('message', (channel: string, message: string) => {
      const event = decode(message);
      if (event) for (const listener of listeners.get(channel) ?? []) listener(event);
    });
    subscriber = created;
    return created;
  }

  async function listen(channel: string, listener: Listener): Promise<() => void> {
    let set = listeners.get(channel);
    if (!set) {
      set = new Set();
      listeners.set(channel, set);
      subscriptions.set(channel, connection().subscribe(channel));
    }
    set.add(listener);
    const stop = () => {
      const current = listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      listeners.delete(channel);
      subscriptions.delete(channel);
      subscriber?.unsubscribe(channel).catch(() => {});
    };
    try {
      await command(() => subscriptions.get(channel) ?? Promise.resolve());
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /** Events stored after `after`, or null when the stream does not exist (expired, never written). */
  async function range(key: string, after: number): Promise<TurnEvent[] | null> {
    const replies = await command(() =>
      redis
        .multi()
        .exists(key)
        .xrange(key, entryId(after + 1), '+')
        .exec(),
    );
    const [[, exists] = [], [, entries] = []] = replies ?? [];
    return exists === 1 ? eventsOf((entries ?? []) as StreamEntries) : null;
  }

  async function* follow(
    key: string,
    after: number,
    initial: TurnEvent[],
    inbox: Inbox,
    signal: AbortSignal,
    stop: () => void,
  ): AsyncGenerator<TurnEvent> {
    let last = after;
    let batch = initial;
    try {
      while (!closed && !signal.aborted) {
        let gap = false;
        for (const event of batch) {
          if (event.seq <= last) continue;
          if (event.seq > last + 1) {
            gap = true;
            break;
          }
          yield event;
          last = event.seq;
          if (isFinalTurnEvent(event)) return;
        }
        if (gap) {
          // Everything published was stored first, so the stream holds what the channel skipped.
          const stored = await range(key, last);
          if (stored === null) return;
          batch = stored;
          continue;
        }
        if (inbox.events.length === 0) {
          let wake = () => {};
          let timer: ReturnType<typeof setTimeout> | undefined;
          const woken = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            timer = setTimeout(() => resolve(false), pollMs);
            inbox.wake = wake;
            wakers.add(wake);
            signal.addEventListener('abort', wake, { once: true });
          });
          clearTimeout(timer);
          inbox.wake = null;
          wakers.delete(wake);
          signal.removeEventListener('abort', wake);
          if (closed || signal.aborted) return;
          if (!woken) {
            const stored = await range(key, last);
            if (stored === null) return;
            batch = stored;
            continue;
          }
        }
        batch = inbox.events.splice(0);
      }
    } finally {
      stop();
    }
  }

  return {
    async append(tenantId, event) {
      const key = keyOf(tenantId, event.turnId);
      const args = [String(event.seq), String(options.maxEvents), String(options.windowMs), JSON.stringify(event)];
      try {
        // The script is sent by its hash; Redis has it cached after the first EVAL (until a restart).
        await redis.evalsha(APPEND_SHA, 1, key, ...args).catch((error: unknown) => {
          if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
          return redis.eval(APPEND_SCRIPT, 1, key, ...args);
        });
      } catch (error) {
        options.log.warn({ err: error, turn_id: event.turnId, seq: event.seq }, 'could not store a turn event');
      }
    },
    async read(tenantId, turnId, after, signal) {
      const key = keyOf(tenantId, turnId);
      const inbox: Inbox = { events: [], wake: null };
      // Subscribed before reading the stream: an event is either stored already or still to come.
      const stop = await listen(key, (event) => {
        inbox.events.push(event);
        inbox.wake?.();
      });
      try {
        const replies = await command(() =>
          redis
            .multi()
            .xrange(key, '-', '+', 'COUNT', 1)
            .xrevrange(key, '+', '-', 'COUNT', 1)
            .xrange(key, entryId(after + 1), '+')
            .exec(),
        );
        const [[, first] = [], [, newest] = [], [, stored] = []] = replies ?? [];
        const [oldest] = eventsOf((first ?? []) as StreamEntries);
        const [latest] = eventsOf((newest ?? []) as StreamEntries);
        if (!oldest || !latest) {
          stop();
          return null;
        }
        if (oldest.seq > after + 1) throw new AppError('TURN_EVENTS_EXPIRED');
        if (isFinalTurnEvent(latest) && latest.seq <= after) {
          stop();
          return (async function* () {})();
        }
        return follow(key, after, eventsOf((stored ?? []) as StreamEntries), inbox, signal, stop);
      } catch (error) {
        stop();
        throw error;
      }
    },
    async purge(tenantId, turnIds) {
      try {
        for (let index = 0; index < turnIds.length; index += PURGE_BATCH) {
          await redis.unlink(...turnIds.slice(index, index + PURGE_BATCH).map((turnId) => keyOf(tenantId, turnId)));
        }
      } catch (error) {
        options.log.warn(
          { err: error, tenant_id: tenantId },
          'could not purge turn events; they expire with the window',
        );
      }
    },
    async purgeTenant(tenantId) {
      // Tenant ids cannot contain `:`, so this pattern matches this tenant's keys and no other's.
      const pattern = `${globLiteral(keyOf(tenantId, ''))}*`;
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      } catch (error) {
        options.log.warn(
          { err: error, tenant_id: tenantId },
          'could not purge turn events; they expire with the window',
        );
      }
    },
    async hasReaders(tenantId, turnId) {
      const reply = await command(() => redis.pubsub('NUMSUB', keyOf(tenantId, turnId)));
      return Number(reply[1] ?? 0) > 0;
    },
    async close() {
      closed = true;
      for (const wake of wakers) wake();
      wakers.clear();
      listeners.clear();
      subscriptions.clear();
      const current = subscriber;
      subscriber = null;
      await current?.quit().catch(() => current.disconnect());
    },
  };
}

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../../test/helpers/external-services.ts';
import type { TurnEvent } from '../core/agents/turn-event.ts';
import type { TurnEventLog, TurnEventLogOptions } from '../core/turns/turn-event-log.ts';
import { createMemoryTurnEventLog } from './memory-turn-event-log.ts';
import { createRedisTurnEventLog } from './redis-turn-event-log.ts';

const redisUrl = await redisForTests();
const prefix = `enclave-test:${randomUUID()}:`;
const connections: Redis[] = [];
const logs: TurnEventLog[] = [];

afterAll(async () => {
  await Promise.all(logs.map((log) => log.close()));
  const [first] = connections;
  if (first) {
    const keys = await first.keys(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
  }
  await Promise.all(connections.map((redis) => redis.quit()));
});

/** Each log kind; `replica()` opens another instance sharing the state, as another replica would. */
const KINDS: { name: string; available: boolean; open(options: TurnEventLogOptions): { replica(): TurnEventLog } }[] = [
  {
    name: 'memory',
    available: true,
    open(options) {
      const log = createMemoryTurnEventLog(options);
      logs.push(log);
      return { replica: () => log };
    },
  },
  {
    name: 'redis',
    available: redisUrl !== null,
    open(options) {
      return {
        replica() {
          const redis = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 });
          connections.push(redis);
          const log = createRedisTurnEventLog(redis, { ...options, prefix, pollMs: 200, log: { warn: () => {} } });
          logs.push(log);
          return log;
        },
      };
    },
  },
];

const delta = (turnId: string, seq: number): TurnEvent => ({ type: 'text-delta', turnId, delta: `w${seq} `, seq });
const end = (turnId: string, seq: number): TurnEvent => ({
  type: 'error',
  turnId,
  code: 'TURN_CANCELLED',
  message: 'x',
  seq,
});

async function collect(events: AsyncIterable<TurnEvent> | null): Promise<number[]> {
  if (events === null) throw new Error('no log');
  const seqs: number[] = [];
  for await (const event of events) seqs.push(event.seq);
  return seqs;
}

const settings = { windowMs: 60_000, maxEvents: 1_000 };

for (const kind of KINDS) {
  describe.skipIf(!kind.available)(`turn event log contract: ${kind.name}`, () => {
    it('replays what was stored after a point, then follows the live tail to the final event', async () => {
      const shared = kind.open(settings);
      const [writer, reader] = [shared.replica(), shared.replica()];
      const turnId = `msg_${randomUUID()}`;
      for (let seq = 1; seq <= 5; seq++) await writer.append('acme', delta(turnId, seq));
      const events = await reader.read('acme', turnId, 2, new AbortController().signal);
      expect(events).not.toBeNull();
      const seen = collect(events as AsyncIterable<TurnEvent>);
      expect(await reader.hasReaders('acme', turnId)).toBe(true);
      for (let seq = 6; seq <= 9; seq++) await writer.append('acme', delta(turnId, seq));
      await writer.append('acme', end(turnId, 10));
      expect(await seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
      // Ended: a later reader gets the rest at once, and one past the end gets nothing.
      expect(await collect(await reader.read('acme', turnId, 7, new AbortController().signal))).toEqual([8, 9, 10]);
      expect(await collect(await reader.read('acme', turnId, 10, new AbortController().signal))).toEqual([]);
      // A reader unsubscribes on its own connection without waiting, so another connection's count
      // can still see it for a moment.
      await expect.poll(() => reader.hasReaders('acme', turnId)).toBe(false);
    });

    it('keeps tenants apart: another tenant with the same turn id finds no log', async () => {
      const log = kind.open(settings).replica();
      const turnId = `msg_${randomUUID()}`;
      await log.append('acme', delta(turnId, 1));
      expect(await log.read('globex', turnId, 0, new AbortController().signal)).toBeNull();
      expect(await log.read('acme', `msg_${randomUUID()}`, 0, new AbortController().signal)).toBeNull();
      expect(await log.hasReaders('globex', turnId)).toBe(false);
    });

    it('a reader stops when its signal aborts, and no longer counts', async () => {
      const log = kind.open(settings).replica();
      const turnId = `msg_${randomUUID()}`;
      await log.append('acme', delta(turnId, 1));
      const abort = new AbortController();
      const seen = collect(await log.read('acme', turnId, 0, abort.signal));
      abort.abort();
      expect(await seen).toEqual([1]);
      await expect.poll(() => log.hasReaders('acme', turnId)).toBe(false);
    });

    it('keeps at most maxEvents per turn: a resume from before the oldest kept answers TURN_EVENTS_EXPIRED', async () => {
      const log = kind.open({ windowMs: 60_000, maxEvents: 3 }).replica();
      const turnId = `msg_${randomUUID()}`;
      for (let seq = 1; seq <= 6; seq++) await log.append('acme', delta(turnId, seq));
      await log.append('acme', end(turnId, 7));
      await expect(log.read('acme', turnId, 0, new AbortController().signal)).rejects.toMatchObject({
        code: 'TURN_EVENTS_EXPIRED',
      });
      expect(await collect(await log.read('acme', turnId, 4, new AbortController().signal))).toEqual([5, 6, 7]);
    });

    it('purge drops the named turns of one tenant and ends their readers; nothing else', async () => {
      const shared = kind.open(settings);
      const [writer, reader] = [shared.replica(), shared.replica()];
      const [gone, kept] = [`msg_${randomUUID()}`, `msg_${randomUUID()}`];
      for (const [tenantId, turnId] of [
        ['acme', gone],
        ['acme', kept],
        ['globex', gone],
      ] as const) {
        await writer.append(tenantId, delta(turnId, 1));
      }
      const following = collect(await reader.read('acme', gone, 0, new AbortController().signal));
      await writer.purge('acme', [gone, `msg_${randomUUID()}`]);
      expect(await following).toEqual([1]);
      expect(await reader.read('acme', gone, 0, new AbortController().signal)).toBeNull();
      // The turn runs on, but cannot write its log back: only a first event starts one.
      await writer.append('acme', delta(gone, 2));
      await writer.append('acme', end(gone, 3));
      expect(await reader.read('acme', gone, 0, new AbortController().signal)).toBeNull();
      await writer.append('acme', end(kept, 2));
      expect(await collect(await reader.read('acme', kept, 0, new AbortController().signal))).toEqual([1, 2]);
      await writer.append('globex', end(gone, 2));
      expect(await collect(await reader.read('globex', gone, 0, new AbortController().signal))).toEqual([1, 2]);
    });

    it('purgeTenant drops every turn of one tenant, not those of a tenant whose id it prefixes', async () => {
      const shared = kind.open(settings);
      const [writer, reader] = [shared.replica(), shared.replica()];
      const tenant = `t${randomUUID().slice(0, 8)}`;
      const [first, second] = [`msg_${randomUUID()}`, `msg_${randomUUID()}`];
      await writer.append(tenant, delta(first, 1));
      await writer.append(tenant, end(second, 1));
      await writer.append(`${tenant}-2`, end(first, 1));
      await writer.append(`${tenant}.x`, end(first, 1));
      const following = collect(await reader.read(tenant, first, 0, new AbortController().signal));
      await writer.purgeTenant(tenant);
      expect(await following).toEqual([1]);
      for (const turnId of [first, second]) {
        expect(await reader.read(tenant, turnId, 0, new AbortController().signal)).toBeNull();
      }
      for (const other of [`${tenant}-2`, `${tenant}.x`]) {
        expect(await collect(await reader.read(other, first, 0, new AbortController().signal))).toEqual([1]);
      }
    });

    it('drops a turn after the window: its log is gone', async () => {
      const log = kind.open({ windowMs: 100, maxEvents: 100 }).replica();
      const turnId = `msg_${randomUUID()}`;
      await log.append('acme', delta(turnId, 1));
      await log.append('acme', end(turnId, 2));
      await expect.poll(() => log.read('acme', turnId, 0, new AbortController().signal), { timeout: 3_000 }).toBeNull();
    });
  });
}

describe.skipIf(redisUrl === null)('Redis turn event log', () => {
  it('keeps a turn as a Redis Stream under a tenant-scoped key with a TTL, entry ids by seq', async () => {
    const log = (KINDS[1] as (typeof KINDS)[1]).open(settings).replica();
    const turnId = `msg_${randomUUID()}`;
    await log.append('acme', delta(turnId, 1));
    const redis = connections[0] as Redis;
    const key = `${prefix}turn-events:acme:${turnId}`;
    expect(await redis.type(key)).toBe('stream');
    expect((await redis.xrange(key, '-', '+')).map(([id]) => id)).toEqual(['0-1']);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(settings.windowMs);
  });

  it('fills from the stream an event whose live message never arrived', async () => {
    const log = (KINDS[1] as (typeof KINDS)[1]).open(settings).replica();
    const turnId = `msg_${randomUUID()}`;
    await log.append('acme', delta(turnId, 1));
    const seen = collect(await log.read('acme', turnId, 0, new AbortController().signal));
    // Stored but never published (as if the message was lost while the subscriber reconnected).
    const redis = connections[0] as Redis;
    await redis.xadd(`${prefix}turn-events:acme:${turnId}`, '0-2', 'e', JSON.stringify(delta(turnId, 2)));
    await log.append('acme', delta(turnId, 3));
    await log.append('acme', end(turnId, 4));
    expect(await seen).toEqual([1, 2, 3, 4]);
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../../test/helpers/external-services.ts';
import type { TurnBus } from '../core/turns/turn-bus.ts';
import { createMemoryTurnBus } from './memory-turn-bus.ts';
import { createRedisTurnBus } from './redis-turn-bus.ts';

const redisUrl = await redisForTests();
const prefix = `enclave-test:${randomUUID()}:`;
const connections: Redis[] = [];
const buses: TurnBus[] = [];
const warnings: { details: object; message: string }[] = [];

function redisConnection(): Redis {
  const redis = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  return redis;
}

/** Each bus kind; `replica()` opens another bus instance that shares state, as another replica would. */
const KINDS: { name: string; available: boolean; open(): { replica(): TurnBus } }[] = [
  {
    name: 'memory',
    available: true,
    open() {
      const bus = createMemoryTurnBus();
      return { replica: () => bus };
    },
  },
  {
    name: 'redis',
    available: redisUrl !== null,
    open() {
      return {
        replica() {
          const bus = createRedisTurnBus(redisConnection(), {
            prefix,
            log: { warn: (details, message) => warnings.push({ details, message }) },
          });
          buses.push(bus);
          return bus;
        },
      };
    },
  },
];

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  const [first] = connections;
  if (first) {
    const keys = await first.keys(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
  }
  await Promise.all(connections.map((redis) => redis.quit()));
});

/** Resolves with the next cancel a bus delivers. */
function nextCancel(bus: TurnBus): Promise<[string, string]> {
  return new Promise((resolve) => {
    void bus.onCancel((tenantId, turnId) => resolve([tenantId, turnId]));
  });
}

for (const kind of KINDS) {
  describe.skipIf(!kind.available)(`turn bus contract: ${kind.name}`, () => {
    it('marks a turn running per tenant until it is done', async () => {
      const bus = kind.open().replica();
      const turnId = `msg_${randomUUID()}`;
      await bus.markRunning('acme', turnId, 30_000);
      expect(await bus.isRunning('acme', turnId)).toBe(true);
      expect(await bus.isRunning('globex', turnId)).toBe(false);
      await bus.markDone('acme', turnId);
      expect(await bus.isRunning('acme', turnId)).toBe(false);
      await bus.markDone('acme', turnId);
    });

    it('a running mark seen by one replica is seen by the others', async () => {
      const shared = kind.open();
      const [first, second] = [shared.replica(), shared.replica()];
      const turnId = `msg_${randomUUID()}`;
      await first.markRunning('acme', turnId, 30_000);
      expect(await second.isRunning('acme', turnId)).toBe(true);
      await second.markDone('acme', turnId);
      expect(await first.isRunning('acme', turnId)).toBe(false);
    });

    it('delivers a cancel to every replica, with the pair as published', async () => {
      const shared = kind.open();
      const [first, second] = [shared.replica(), shared.replica()];
      const received = [nextCancel(first), nextCancel(second)];
      // onCancel resolves once subscribed; wait for both before publishing.
      await Promise.all([first.onCancel(() => {}), second.onCancel(() => {})]);
      const turnId = `msg_${randomUUID()}`;
      await second.publishCancel('acme', turnId);
      expect(await Promise.all(received)).toEqual([
        ['acme', turnId],
        ['acme', turnId],
      ]);
    });

    it('is ready once subscribed', async () => {
      const bus = kind.open().replica();
      await bus.onCancel(() => {});
      await expect(bus.ready()).resolves.toBeUndefined();
    });
  });
}

describe.skipIf(redisUrl === null)('Redis turn bus', () => {
  it('keeps a running turn under a prefixed, tenant-scoped key with a TTL', async () => {
    const bus = KINDS[1]?.open().replica() as TurnBus;
    const turnId = `msg_${randomUUID()}`;
    await bus.markRunning('acme', turnId, 30_000);
    const ttl = await (connections[0] as Redis).pttl(`${prefix}turn:acme:${turnId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await bus.markDone('acme', turnId);
    expect(await (connections[0] as Redis).exists(`${prefix}turn:acme:${turnId}`)).toBe(0);
  });

  it('ignores and logs a malformed message on the cancel channel, and still delivers the next valid one', async () => {
    const own: { details: object; message: string }[] = [];
    const bus = createRedisTurnBus(redisConnection(), {
      prefix,
      log: { warn: (details, message) => own.push({ details, message }) },
    });
    buses.push(bus);
    const delivered: [string, string][] = [];
    await bus.onCancel((tenantId, turnId) => delivered.push([tenantId, turnId]));
    const publisher = redisConnection();
    const channel = `${prefix}turn-cancel`;
    const turnId = `msg_${randomUUID()}`;
    const valid = new Promise<void>((resolve) => {
      void bus.onCancel((_tenantId, id) => {
        if (id === turnId) resolve();
      });
    });
    for (const message of [
      'not json',
      '42',
      JSON.stringify({ tenantId: 'acme' }),
      JSON.stringify({ tenantId: 'acme', turnId: 7 }),
      JSON.stringify({ tenantId: 'acme', turnId: 'msg_x', extra: true }),
      JSON.stringify({ tenantId: '', turnId: 'msg_x' }),
    ]) {
      await publisher.publish(channel, message);
    }
    await publisher.publish(channel, JSON.stringify({ tenantId: 'acme', turnId }));
    await valid;
    expect(delivered).toEqual([['acme', turnId]]);
    expect(own.map((warning) => warning.message)).toEqual(Array(6).fill('ignored an invalid turn cancel message'));
    // The log says why, never what was sent.
    expect(JSON.stringify(own)).not.toContain('msg_x');
  });

  it('answers NOT_READY when Redis does not answer', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    const bus = createRedisTurnBus(dead, { prefix, log: { warn: () => {} } });
    await expect(bus.isRunning('acme', 'msg_1')).rejects.toMatchObject({ code: 'NOT_READY' });
    await expect(bus.publishCancel('acme', 'msg_1')).rejects.toMatchObject({ code: 'NOT_READY' });
    await expect(bus.ready()).rejects.toThrow();
    await bus.close();
    dead.disconnect();
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../../test/helpers/external-services.ts';
import { type CounterStore, createMemoryCounterStore } from './counter-store.ts';
import { createRedisCounterStore } from './redis-counter-store.ts';

const redisUrl = await redisForTests();
const connections: Redis[] = [];
const prefix = `enclave-test:${randomUUID()}:`;

/** Every store the limiter can run on; each case runs against each. */
const STORES: { name: string; available: boolean; open(): CounterStore }[] = [
  { name: 'memory', available: true, open: () => createMemoryCounterStore({ sweepIntervalMs: null }) },
  {
    name: 'redis',
    available: redisUrl !== null,
    open() {
      const redis = new Redis(redisUrl as string, { lazyConnect: false, maxRetriesPerRequest: 1 });
      connections.push(redis);
      return createRedisCounterStore(redis, { prefix });
    },
  },
];

afterAll(async () => {
  const [first] = connections;
  if (first) {
    const keys = await first.keys(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
  }
  await Promise.all(connections.map((redis) => redis.quit()));
});

const T0 = 1_800_000_000_000;

for (const store of STORES) {
  describe.skipIf(!store.available)(`counter store contract: ${store.name}`, () => {
    let counters: CounterStore;
    beforeAll(() => {
      counters = store.open();
    });

    it('adds within a fixed window and starts again in the next one', async () => {
      const key = `t:a:tpm:${randomUUID()}`;
      expect(await counters.increment(key, 5, 60_000, T0)).toEqual({ total: 5, resetAt: T0 + 60_000 - (T0 % 60_000) });
      expect((await counters.increment(key, 7, 60_000, T0 + 1)).total).toBe(12);
      expect((await counters.get(key, 60_000, T0 + 2)).total).toBe(12);
      expect((await counters.increment(key, 1, 60_000, T0 + 60_000)).total).toBe(1);
    });

    it('keeps windows that end at a given instant (calendar days and months)', async () => {
      const key = `t:a:day:${randomUUID()}`;
      const midnight = T0 + 3_600_000;
      expect((await counters.incrementUntil(key, 10, midnight, T0)).total).toBe(10);
      expect((await counters.getUntil(key, midnight, T0 + 5)).total).toBe(10);
      expect((await counters.getUntil(key, midnight + 86_400_000, T0)).total).toBe(0);
    });

    it('a missing period counter reads as missing, is not created by addIfPresent, and is seeded once', async () => {
      const key = `t:a:month:${randomUUID()}`;
      const end = T0 + 3_600_000;
      expect(await counters.getUntil(key, end, T0)).toEqual({ total: 0, resetAt: end, exists: false });
      expect(await counters.addIfPresent(key, 5, end, T0)).toBe(false);
      expect((await counters.getUntil(key, end, T0)).exists).toBe(false);
      expect(await counters.setIfAbsent(key, 40, end, T0)).toBe(40);
      // A second rebuild (another replica) keeps the first one's total.
      expect(await counters.setIfAbsent(key, 99, end, T0)).toBe(40);
      expect(await counters.addIfPresent(key, 5, end, T0 + 1)).toBe(true);
      expect(await counters.getUntil(key, end, T0 + 2)).toEqual({ total: 45, resetAt: end, exists: true });
    });

    it('remove deletes one window counter, or the concurrency slots of a key', async () => {
      const key = `t:a:day:${randomUUID()}`;
      const end = T0 + 3_600_000;
      await counters.incrementUntil(key, 10, end, T0);
      await counters.remove(key, end);
      expect((await counters.getUntil(key, end, T0)).exists).toBe(false);
      const turns = `t:a:turns:${randomUUID()}`;
      expect(await counters.acquire(turns, 1, 'holder', 60_000, T0)).toBe(true);
      expect(await counters.acquire(turns, 1, 'next', 60_000, T0)).toBe(false);
      await counters.remove(turns, null);
      expect(await counters.acquire(turns, 1, 'next', 60_000, T0)).toBe(true);
      await counters.remove(`t:a:day:${randomUUID()}`, end);
    });

    it('keeps tenants apart', async () => {
      const id = randomUUID();
      await counters.increment(`t:one-${id}:rpm`, 3, 60_000, T0);
      expect((await counters.get(`t:two-${id}:rpm`, 60_000, T0)).total).toBe(0);
    });

    it('hands out at most `limit` concurrency slots, refreshes a holder, frees on release and on expiry', async () => {
      const key = `t:a:turns:${randomUUID()}`;
      const now = Date.now();
      expect(await counters.acquire(key, 2, 'x', 10_000, now)).toBe(true);
      expect(await counters.acquire(key, 2, 'y', 10_000, now)).toBe(true);
      expect(await counters.acquire(key, 2, 'z', 10_000, now)).toBe(false);
      expect(await counters.acquire(key, 2, 'x', 10_000, now + 1)).toBe(true);
      await counters.release(key, 'x');
      await counters.release(key, 'x');
      expect(await counters.acquire(key, 2, 'z', 10_000, now + 2)).toBe(true);
      expect(await counters.acquire(key, 2, 'w', 10_000, now + 20_000)).toBe(true);
    });
  });
}

describe.skipIf(redisUrl === null)('redis counter store across replicas', () => {
  it('stays exact when two replicas count the same window concurrently', async () => {
    const replicas = [0, 1].map(() => {
      const redis = new Redis(redisUrl as string);
      connections.push(redis);
      return createRedisCounterStore(redis, { prefix });
    });
    const key = `t:shared:rpm:${randomUUID()}`;
    await Promise.all(
      Array.from({ length: 1000 }, (_, index) => (replicas[index % 2] as CounterStore).increment(key, 1, 60_000, T0)),
    );
    expect((await (replicas[0] as CounterStore).get(key, 60_000, T0)).total).toBe(1000);
  });
});

import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, privateRedis } from '../../test/helpers/private-redis.ts';
import { createRedisTurnBus } from './redis-turn-bus.ts';

const redis = await privateRedis();

/**
 * A replica that starts while Redis does not answer: SUBSCRIBE times out (it inherits the command
 * timeout), and the bus must subscribe again by itself once Redis answers, instead of staying
 * unready and deaf to cancels for good.
 */
describe.skipIf(redis === null)('the Redis turn bus after a failed subscribe', () => {
  const server = redis as PrivateRedis;
  const connection = new Redis(server.url, { commandTimeout: 200, maxRetriesPerRequest: 1 });
  const warnings: string[] = [];
  const bus = createRedisTurnBus(connection, { log: { warn: (_details, message) => warnings.push(message) } });
  afterAll(async () => {
    server.resume();
    await bus.close();
    connection.disconnect();
    await server.kill();
  });

  it('subscribes again once Redis answers: ready, and cancels are delivered', async () => {
    const cancels: string[] = [];
    server.pause();
    try {
      await expect(bus.onCancel((tenantId, turnId) => cancels.push(`${tenantId}/${turnId}`))).rejects.toMatchObject({
        code: 'NOT_READY',
      });
      await expect(bus.ready()).rejects.toThrow();
    } finally {
      server.resume();
    }
    // Bounded: the retry comes a second after the failure; allow a loaded machine ten.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await bus.ready();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(warnings).toContain('turn bus could not subscribe to cancels; trying again in 1 s');
    await bus.publishCancel('t1', 'turn-1');
    for (let attempt = 0; attempt < 200 && cancels.length === 0; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(cancels).toEqual(['t1/turn-1']);
  });
});

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { whenRedisReady } from './redis-ready.ts';

/** A client stand-in: its status, and `ready` emitted when the test says. */
function client(status: string) {
  return Object.assign(new EventEmitter(), { status });
}

describe('whenRedisReady', () => {
  it('answers at once for a ready client', async () => {
    expect(await whenRedisReady(client('ready'), 1_000)).toBe(true);
  });

  it('waits for the first ready event', async () => {
    const redis = client('connecting');
    const ready = whenRedisReady(redis, 5_000);
    setTimeout(() => redis.emit('ready'), 10);
    expect(await ready).toBe(true);
    expect(redis.listenerCount('ready')).toBe(0);
  });

  it('gives up after the timeout and leaves no listener behind', async () => {
    const redis = client('reconnecting');
    expect(await whenRedisReady(redis, 20)).toBe(false);
    expect(redis.listenerCount('ready')).toBe(0);
  });
});

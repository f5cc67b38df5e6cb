import type { Redis } from 'ioredis';
import type { CounterStore } from './counter-store.ts';
import { fixedWindowResetAt } from './counter-store.ts';

const INCREMENT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total == tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return total`;

const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local expires = tonumber(ARGV[1]) + tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], expires, ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], expires)
  return 1
end
return 0`;

/**
 * The counter store on Redis: exact across replicas, because every change is one atomic script.
 * Each window is its own key (`<prefix><key>:<resetAt>`) that expires when the window ends, so
 * nothing needs sweeping. Concurrency slots are a sorted set of holders scored by expiry.
 * Keys are tenant-scoped by the limiter (`t:<tenant>:…`) and prefixed here.
 */
export function createRedisCounterStore(redis: Redis, options: { prefix?: string } = {}): CounterStore {
  const prefix = options.prefix ?? 'enclave:limits:';
  const windowKey = (key: string, resetAt: number) => `${prefix}${key}:${resetAt}`;

  async function incrementUntil(key: string, amount: number, resetAt: number) {
    const total = Number(await redis.eval(INCREMENT, 1, windowKey(key, resetAt), amount, resetAt));
    return { total, resetAt };
  }

  async function getUntil(key: string, resetAt: number, now: number) {
    if (resetAt <= now) return { total: 0, resetAt };
    return { total: Number((await redis.get(windowKey(key, resetAt))) ?? 0), resetAt };
  }

  return {
    increment: (key, amount, windowMs, now) => incrementUntil(key, amount, fixedWindowResetAt(windowMs, now)),
    get: (key, windowMs, now) => getUntil(key, fixedWindowResetAt(windowMs, now), now),
    async incrementUntil(key, amount, resetAt, now) {
      if (resetAt <= now) throw new RangeError('resetAt must be after now');
      return incrementUntil(key, amount, resetAt);
    },
    getUntil,
    async acquire(key, limit, token, ttlMs, now) {
      return Number(await redis.eval(ACQUIRE, 1, `${prefix}${key}`, now, limit, ttlMs, token)) === 1;
    },
    async release(key, token) {
      await redis.zrem(`${prefix}${key}`, token);
    },
    async close() {
      // The connection belongs to the caller (it may be shared with pub/sub); nothing to stop here.
    },
  };
}

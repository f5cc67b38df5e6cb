import type { Redis } from 'ioredis';
import type { CounterStore } from './counter-store.ts';
import { fixedWindowResetAt } from './counter-store.ts';

const INCREMENT = `
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if total == tonumber(ARGV[1]) then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return total`;

const ADD_IF_PRESENT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[1])
return 1`;

const SET_IF_ABSENT = `
if redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then return tonumber(ARGV[1]) end
return tonumber(redis.call('GET', KEYS[1]))`;

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
    if (resetAt <= now) return { total: 0, resetAt, exists: false };
    const value = await redis.get(windowKey(key, resetAt));
    return { total: Number(value ?? 0), resetAt, exists: value !== null };
  }

  return {
    increment: (key, amount, windowMs, now) => incrementUntil(key, amount, fixedWindowResetAt(windowMs, now)),
    get: async (key, windowMs, now) => {
      const { total, resetAt } = await getUntil(key, fixedWindowResetAt(windowMs, now), now);
      return { total, resetAt };
    },
    async incrementUntil(key, amount, resetAt, now) {
      if (resetAt <= now) throw new RangeError('resetAt must be after now');
      return incrementUntil(key, amount, resetAt);
    },
    getUntil,
    async addIfPresent(key, amount, resetAt, now) {
      if (resetAt <= now) throw new RangeError('resetAt must be after now');
      return Number(await redis.eval(ADD_IF_PRESENT, 1, windowKey(key, resetAt), amount)) === 1;
    },
    async setIfAbsent(key, total, resetAt, now) {
      if (resetAt <= now) throw new RangeError('resetAt must be after now');
      return Number(await redis.eval(SET_IF_ABSENT, 1, windowKey(key, resetAt), total, resetAt));
    },
    async remove(key, resetAt) {
      await redis.unlink(resetAt === null ? `${prefix}${key}` : windowKey(key, resetAt));
    },
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

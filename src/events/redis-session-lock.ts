import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SessionLease, SessionLock } from '../core/turns/session-lock.ts';
import { sessionBusy } from './memory-session-lock.ts';
import { redisUnavailable } from './redis-unavailable.ts';

/** Where the lock reports what it cannot do (a pino logger fits). */
export interface SessionLockLog {
  warn(details: object, message: string): void;
}

/**
 * Takes the lock, or queues for it. KEYS: lock, queue, alive, ticket. ARGV: token, mode, lock TTL
 * (ms), waiter TTL (ms). The queue is a sorted set of waiting tokens by arrival ticket; `alive`
 * holds each waiter's deadline, pushed back every time it polls, so a waiter whose replica died
 * drops out instead of blocking the queue. The lock goes to the first live waiter only; `reject`
 * never queues and takes the lock only when nobody holds or waits for it. Returns 1 when taken.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[3], member)
end
local token = ARGV[1]
local queued = redis.call('ZSCORE', KEYS[2], token)
if redis.call('EXISTS', KEYS[1]) == 0 then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head == nil or head == token then
    redis.call('SET', KEYS[1], token, 'PX', ARGV[3])
    redis.call('ZREM', KEYS[2], token)
    redis.call('ZREM', KEYS[3], token)
    return 1
  end
end
if ARGV[2] == 'reject' then return 0 end
if not queued then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), token)
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), token)
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[4]) * 2) end
return 0`;

/** Pushes back the lock's expiry if `token` still holds it. KEYS: lock. ARGV: token, TTL (ms). */
const REFRESH = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Deletes the lock if `token` still holds it (compare and delete). KEYS: lock. ARGV: token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisSessionLockOptions {
  /** Longest a turn waits for its session before SESSION_BUSY (SESSION_QUEUE_TIMEOUT_MS). */
  waitMs: number;
  /** How long a held lock outlives its holder's last refresh (a crashed replica's lock expires). Default 30 s. */
  lockTtlMs?: number;
  /** How long a waiter stays queued without polling. Default 10 s. */
  waiterTtlMs?: number;
  prefix?: string;
  log: SessionLockLog;
}

/**
 * The session lock on Redis, shared by every replica: the key `<prefix>session:{<tenant>:<session>}:lock`
 * holds the running turn's random token with a TTL, refreshed every third of it while the turn runs
 * and deleted with a compare-and-delete script at the end. Waiting turns queue in arrival order
 * (a sorted set by ticket) and poll with backoff. Tenant ids cannot contain `:` nor session ids
 * `}`, so keys are unambiguous; the braces keep one session's keys in one Redis Cluster slot.
 */
export function createRedisSessionLock(redis: Redis, options: RedisSessionLockOptions): SessionLock {
  const prefix = options.prefix ?? 'enclave:';
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const waiterTtlMs = options.waiterTtlMs ?? 10_000;
  const refreshers = new Set<ReturnType<typeof setInterval>>();

  /** Redis errors become 503 NOT_READY: the lock is unreachable, not the request wrong. */
  async function command<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw redisUnavailable('session lock', error);
    }
  }

  function hold(lock: string, token: string): SessionLease {
    const refresher = setInterval(
      () => {
        redis.eval(REFRESH, 1, lock, token, lockTtlMs).then(
          (kept) => {
            if (Number(kept) !== 1) options.log.warn({ lock }, 'a session lock expired while its turn ran');
          },
          (error: unknown) => options.log.warn({ err: error }, 'could not refresh a session lock'),
        );
      },
      Math.max(1, Math.floor(lockTtlMs / 3)),
    );
    refresher.unref();
    refreshers.add(refresher);
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        clearInterval(refresher);
        refreshers.delete(refresher);
        // If Redis is away the lock expires on its own after its TTL.
        await redis.eval(RELEASE, 1, lock, token).catch((error: unknown) => {
          options.log.warn({ err: error }, 'could not release a session lock; it expires on its own');
        });
      },
    };
  }

  return {
    async acquire(tenantId, sessionId, { mode, signal }) {
      signal?.throwIfAborted();
      const base = `${prefix}session:{${tenantId}:${sessionId}}`;
      const keys = [`${base}:lock`, `${base}:queue`, `${base}:alive`, `${base}:ticket`] as const;
      const token = randomUUID();
      const deadline = Date.now() + options.waitMs;
      const attempt = () =>
        command(() => redis.eval(ACQUIRE, 4, ...keys, token, mode, lockTtlMs, waiterTtlMs)).then(
          (taken) => Number(taken) === 1,
        );
      if (await attempt()) return hold(keys[0], token);
      if (mode === 'reject') throw sessionBusy();
      const leave = () => redis.multi().zrem(keys[1], token).zrem(keys[2], token).exec();
      let delay = 5;
      try {
        for (;;) {
          const left = deadline - Date.now();
          if (left <= 0) throw sessionBusy('Another turn ran on this session for longer than this one may wait');
          await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
          signal?.throwIfAborted();
          if (await attempt()) return hold(keys[0], token);
          delay = Math.min(delay * 2, 50);
        }
      } catch (error) {
        await leave().catch(() => {});
        throw error;
      }
    },
    async close() {
      for (const refresher of refreshers) clearInterval(refresher);
      refreshers.clear();
    },
  };
}

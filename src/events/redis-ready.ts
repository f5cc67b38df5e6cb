/** What `whenRedisReady` needs of an ioredis client. */
export interface RedisStatus {
  status: string;
  once(event: 'ready', listener: () => void): unknown;
  off(event: 'ready', listener: () => void): unknown;
}

/**
 * Resolves true once the client is connected and ready, or false after `timeoutMs`. The client
 * is made with `enableOfflineQueue: false` (a Redis outage must fail requests fast, not queue
 * them), so a command sent before the first connection is ready fails too: a limited tenant's
 * first requests after a start got 503 LIMITS_UNAVAILABLE while Redis was up. The server waits
 * this long before serving; a Redis that is really away is then reported by readiness and 503s,
 * as during any outage.
 */
export function whenRedisReady(redis: RedisStatus, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

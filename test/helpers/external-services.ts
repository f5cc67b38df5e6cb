import { reachable } from './reachable.ts';

/**
 * The Redis URL for tests (`REDIS_URL`, default the local server), or null when it is not running.
 * In CI (`CI=true`) an unreachable server is an error: those tests are required there. On a
 * laptop without Redis they skip, with a printed notice.
 */
export async function redisForTests(): Promise<string | null> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await reachable(new URL(url), 6379)) return url;
  if (process.env.CI === 'true') throw new Error(`Redis is required in CI but ${url} does not answer`);
  console.warn(`[skip] Redis tests: ${url} does not answer (start redis-server to run them)`);
  return null;
}

import { Socket } from 'node:net';

/** Whether a TCP service answers on host:port within `timeoutMs`. */
function reachable(url: URL, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(url.port || 6379), url.hostname, () => done(true));
  });
}

/**
 * The Redis URL for tests (`REDIS_URL`, default the local server), or null when it is not running.
 * In CI (`CI=true`) an unreachable server is an error: those tests are required there. On a
 * laptop without Redis they skip, with a printed notice.
 */
export async function redisForTests(): Promise<string | null> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await reachable(new URL(url))) return url;
  if (process.env.CI === 'true') throw new Error(`Redis is required in CI but ${url} does not answer`);
  console.warn(`[skip] Redis tests: ${url} does not answer (start redis-server to run them)`);
  return null;
}

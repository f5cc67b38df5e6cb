import type { Config } from '../config/config-schema.ts';
import type { TurnEventLog } from '../core/turns/turn-event-log.ts';
import type { Output } from './output.ts';

/**
 * Purges turn event logs after a command deleted rows (an erased user, a deleted tenant). Only the
 * Redis log (`REDIS_URL`) is shared with the servers; without it each server keeps the log in its
 * own memory, out of this process's reach: those events expire with `STREAM_RESUME_WINDOW_MS`,
 * and a resume of a deleted turn already answers 404 from the database.
 */
export async function purgeTurnEvents(
  config: Config,
  out: Output,
  purge: (events: Pick<TurnEventLog, 'purge' | 'purgeTenant'>) => Promise<void>,
): Promise<void> {
  if (!config.redisUrl) return;
  // Loaded only with Redis configured: ioredis alone is a large share of a command's start-up.
  const [{ Redis }, { createRedisTurnEventLog }] = await Promise.all([
    import('ioredis'),
    import('../events/redis-turn-event-log.ts'),
  ]);
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 2,
    lazyConnect: true,
    commandTimeout: config.redisCommandTimeoutMs,
  });
  redis.on('error', () => {});
  const events = createRedisTurnEventLog(redis, {
    windowMs: config.streamResumeWindowMs,
    maxEvents: config.streamResumeMaxEvents,
    log: { warn: () => out.warn('Could not purge turn events from Redis; they expire with STREAM_RESUME_WINDOW_MS') },
  });
  try {
    await purge(events);
  } finally {
    await events.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

import { Redis } from 'ioredis';
import type { Config } from '../config/config-schema.ts';
import { forgetTenantCounters } from '../limits/forget-tenant-counters.ts';
import { createRedisCounterStore } from '../limits/redis-counter-store.ts';
import type { Output } from './output.ts';

/**
 * Deletes a tenant's limit counters in Redis after a command created or deleted it, so that a tenant
 * created again with the same id does not inherit the old one's use. Without `REDIS_URL` the
 * counters live in each server's memory, out of this process's reach; a failure is a warning
 * (the admin API deletes them again when it creates a tenant with this id).
 */
export async function purgeLimitCounters(config: Config, out: Output, tenantId: string): Promise<void> {
  if (!config.redisUrl) return;
  const redis = new Redis(config.redisUrl, {
    maxRetriesPerRequest: 2,
    lazyConnect: true,
    commandTimeout: config.redisCommandTimeoutMs,
  });
  redis.on('error', () => {});
  try {
    await forgetTenantCounters(createRedisCounterStore(redis), tenantId, Date.now());
  } catch {
    out.warn('Could not delete the tenant limit counters from Redis; they expire with their windows');
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

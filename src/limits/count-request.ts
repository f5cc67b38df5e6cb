import type { CounterStore } from './counter-store.ts';
import { keysFor, type LimitScope } from './keys.ts';
import { LimitExceededError } from './limit-exceeded-error.ts';
import type { LimitSettings } from './limits.ts';
import { policyFor } from './policy.ts';

const MINUTE_MS = 60_000;

/**
 * Counts one request against requests-per-minute of the tenant and, when they have their own, of
 * the key and the agent (fixed one-minute windows). Throws `LimitExceededError` (kind `rate`) past either limit.
 */
export async function countRequest(
  store: CounterStore,
  scope: LimitScope,
  settings: { tenant: LimitSettings; key: LimitSettings | null; agent?: LimitSettings | null },
  now: number,
): Promise<void> {
  if (
    settings.tenant.requestsPerMinute === null &&
    settings.key?.requestsPerMinute == null &&
    settings.agent?.requestsPerMinute == null
  )
    return;
  const keys = keysFor(scope, now);
  const levels = [
    { level: 'tenant' as const, limit: settings.tenant.requestsPerMinute, key: keys.tenant.rpm },
    { level: 'key' as const, limit: settings.key?.requestsPerMinute ?? null, key: keys.key?.rpm },
    { level: 'agent' as const, limit: settings.agent?.requestsPerMinute ?? null, key: keys.agent?.rpm },
  ];
  for (const { level, limit, key } of levels) {
    if (limit === null || key === undefined) continue;
    const { total, resetAt } = await store.increment(key, 1, MINUTE_MS, now);
    if (total > limit) {
      throw new LimitExceededError({
        kind: 'rate',
        level,
        limit,
        remaining: 0,
        resetAt,
        policy: policyFor('rate', level, limit, now),
        now,
      });
    }
  }
}

import type { CounterStore } from './counter-store.ts';
import { keysFor, type LimitScope } from './keys.ts';
import { LimitExceededError } from './limit-exceeded-error.ts';
import type { LimitSettings } from './limits.ts';
import { policyFor } from './policy.ts';
import type { RateLimitInfo } from './rate-limit-headers.ts';

const MINUTE_MS = 60_000;

/**
 * Counts one request against requests-per-minute of the tenant and, when they have their own, of
 * the key and the agent (fixed one-minute windows). Throws `LimitExceededError` (kind `rate`) past
 * any of them. Returns the state of the limit with the least left (for the response's `RateLimit`
 * headers), or null when none has one (nothing is counted then).
 */
export async function countRequest(
  store: CounterStore,
  scope: LimitScope,
  settings: { tenant: LimitSettings; key: LimitSettings | null; agent?: LimitSettings | null },
  now: number,
): Promise<RateLimitInfo | null> {
  if (
    settings.tenant.requestsPerMinute === null &&
    settings.key?.requestsPerMinute == null &&
    settings.agent?.requestsPerMinute == null
  )
    return null;
  const keys = keysFor(scope, now);
  const levels = [
    { level: 'tenant' as const, limit: settings.tenant.requestsPerMinute, key: keys.tenant.rpm },
    { level: 'key' as const, limit: settings.key?.requestsPerMinute ?? null, key: keys.key?.rpm },
    { level: 'agent' as const, limit: settings.agent?.requestsPerMinute ?? null, key: keys.agent?.rpm },
  ];
  let tightest: RateLimitInfo | null = null;
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
    const remaining = limit - total;
    if (!tightest || remaining / limit < tightest.remaining / tightest.limit) {
      tightest = { limit, remaining, resetAt, policy: policyFor('rate', level, limit, now) };
    }
  }
  return tightest;
}

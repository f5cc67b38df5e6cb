import { describe, expect, it } from 'vitest';
import type { CounterStore } from './counter-store.ts';
import { createTurnAdmission } from './create-turn-admission.ts';

const UNLIMITED = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/** A store whose every call fails, as the Redis one does while Redis is down. */
const down: CounterStore = new Proxy({} as CounterStore, {
  get: (_target, name) =>
    name === 'close' ? async () => {} : () => Promise.reject(new Error('Connection is closed.')),
});

describe('limits while the counter store is down', () => {
  const admission = createTurnAdmission(down);
  const scope = { tenantId: 't', keyId: null };

  it.each([
    ['a token quota', { ...UNLIMITED, tokensPerMonth: 1000 }],
    ['a concurrency limit', { ...UNLIMITED, concurrentTurns: 2 }],
  ])('a turn under %s is refused with 503 LIMITS_UNAVAILABLE and Retry-After', async (_name, tenant) => {
    await expect(admission.admit(scope, { tenant, key: null })).rejects.toMatchObject({
      code: 'LIMITS_UNAVAILABLE',
      status: 503,
      details: { headers: { 'retry-after': '5' } },
    });
  });

  it('a request under requests per minute is refused the same way', async () => {
    await expect(
      admission.countRequest(scope, { tenant: { ...UNLIMITED, requestsPerMinute: 10 }, key: null }),
    ).rejects.toMatchObject({ code: 'LIMITS_UNAVAILABLE', status: 503 });
  });

  it('a tenant without limits never reaches the store', async () => {
    // Nothing counted, so no RateLimit headers either.
    await expect(admission.countRequest(scope, { tenant: UNLIMITED, key: null })).resolves.toBeNull();
  });
});

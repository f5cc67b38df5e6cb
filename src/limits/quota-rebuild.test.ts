import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryCounterStore, type MemoryCounterStore } from './counter-store.ts';
import type { LimitScope } from './keys.ts';
import { LimitExceededError } from './limit-exceeded-error.ts';
import { createLimiter, type LimitSettings } from './limits.ts';

const UNLIMITED: LimitSettings = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

/** 2026-03-15T12:00:00Z */
const NOW = Date.UTC(2026, 2, 15, 12);

let store: MemoryCounterStore;
afterEach(async () => {
  await store?.close();
});

/** A limiter over an empty store (a Redis that restarted empty) and a ledger that records its reads. */
function setup(charged: (scope: LimitScope, days: { from: string; to: string }) => number) {
  store = createMemoryCounterStore({ sweepIntervalMs: null });
  const reads: { scope: LimitScope; days: { from: string; to: string } }[] = [];
  const limiter = createLimiter({
    store,
    now: () => NOW,
    ledger: async (scope, days) => {
      reads.push({ scope, days });
      return charged(scope, days);
    },
  });
  return { limiter, reads };
}

describe('day and month quotas rebuilt from the usage ledger', () => {
  it('a month quota used up before the counters were lost is still used up, with one ledger read', async () => {
    const { limiter, reads } = setup(() => 1000);
    const settings = { tenant: { ...UNLIMITED, tokensPerMonth: 1000 }, key: null };
    const scope = { tenantId: 'acme', keyId: null };
    await expect(limiter.admitTurn(scope, settings)).rejects.toBeInstanceOf(LimitExceededError);
    await expect(limiter.admitTurn(scope, settings)).rejects.toMatchObject({ kind: 'quota-month' });
    expect(reads).toEqual([{ scope, days: { from: '2026-03-01', to: '2026-03-15' } }]);
  });

  it('the rebuilt counter goes on counting; a day quota reads the day alone, a key its own records', async () => {
    const { limiter, reads } = setup((scope) => (scope.keyId === null ? 300 : 100));
    const settings = { tenant: { ...UNLIMITED, tokensPerDay: 1000 }, key: { ...UNLIMITED, tokensPerMonth: 150 } };
    const scope = { tenantId: 'acme', keyId: 'key_01' };
    const admitted = await limiter.admitTurn(scope, settings);
    await admitted.release();
    expect(reads).toEqual([
      { scope: { tenantId: 'acme', keyId: null }, days: { from: '2026-03-15', to: '2026-03-15' } },
      { scope, days: { from: '2026-03-01', to: '2026-03-15' } },
    ]);
    await limiter.recordTokens(scope, 60);
    await expect(limiter.admitTurn(scope, settings)).rejects.toMatchObject({ kind: 'quota-month', level: 'key' });
    expect(reads).toHaveLength(2);
  });

  it('charging never creates a missing period counter (it would forget the ledger)', async () => {
    const { limiter } = setup(() => 500);
    const scope = { tenantId: 'acme', keyId: null };
    await limiter.recordTokens(scope, 10);
    const admitted = await limiter.admitTurn(scope, { tenant: { ...UNLIMITED, tokensPerMonth: 505 }, key: null });
    expect(admitted.tightest).toMatchObject({ limit: 505, remaining: 5 });
  });
});

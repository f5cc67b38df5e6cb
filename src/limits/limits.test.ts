import { afterEach, describe, expect, it } from 'vitest';
import { utcDay, utcMonth } from './calendar.ts';
import { createMemoryCounterStore, type MemoryCounterStore } from './counter-store.ts';
import { keysFor } from './keys.ts';
import { LimitExceededError } from './limit-exceeded-error.ts';
import { createLimiter, type LimitSettings } from './limits.ts';

const UNLIMITED: LimitSettings = {
  requestsPerMinute: null,
  concurrentTurns: null,
  tokensPerMinute: null,
  tokensPerDay: null,
  tokensPerMonth: null,
};

function limits(overrides: Partial<LimitSettings>): LimitSettings {
  return { ...UNLIMITED, ...overrides };
}

const ACME = { tenantId: 'acme', keyId: null };
const ACME_K1 = { tenantId: 'acme', keyId: 'key_01' };
const ACME_K2 = { tenantId: 'acme', keyId: 'key_02' };
const GLOBEX = { tenantId: 'globex', keyId: null };

let store: MemoryCounterStore;
afterEach(async () => {
  await store?.close();
});

function setup(start: number, options: { turnTtlMs?: number } = {}) {
  store = createMemoryCounterStore({ sweepIntervalMs: null });
  const clock = { now: start };
  const limiter = createLimiter({ store, now: () => clock.now, ...options });
  return { clock, limiter };
}

async function refusal(promise: Promise<unknown>): Promise<LimitExceededError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LimitExceededError);
  return error as LimitExceededError;
}

describe('UTC calendar periods', () => {
  it('a day resets at the next UTC midnight, across month and year ends', () => {
    expect(utcDay(Date.UTC(2024, 0, 31, 23, 59, 59, 999))).toEqual({
      period: '2024-01-31',
      startsAt: Date.UTC(2024, 0, 31),
      resetAt: Date.UTC(2024, 1, 1),
    });
    expect(utcDay(Date.UTC(2024, 1, 1)).period).toBe('2024-02-01');
    expect(utcDay(Date.UTC(2024, 1, 29, 12)).resetAt).toBe(Date.UTC(2024, 2, 1));
    expect(utcDay(Date.UTC(2023, 11, 31, 23)).resetAt).toBe(Date.UTC(2024, 0, 1));
  });

  it('a month resets on the first of the next month: Jan 31 → Feb 1, Dec → Jan, leap February', () => {
    expect(utcMonth(Date.UTC(2024, 0, 31, 23, 59, 59, 999))).toEqual({
      period: '2024-01',
      startsAt: Date.UTC(2024, 0, 1),
      resetAt: Date.UTC(2024, 1, 1),
    });
    expect(utcMonth(Date.UTC(2023, 11, 15))).toMatchObject({ period: '2023-12', resetAt: Date.UTC(2024, 0, 1) });
    const leap = utcMonth(Date.UTC(2024, 1, 29, 23, 59));
    expect(leap).toMatchObject({ period: '2024-02', resetAt: Date.UTC(2024, 2, 1) });
    expect(leap.resetAt - leap.startsAt).toBe(29 * 86_400_000);
    const plain = utcMonth(Date.UTC(2023, 1, 28));
    expect(plain.resetAt - plain.startsAt).toBe(28 * 86_400_000);
  });
});

describe('store keys', () => {
  it('are namespaced by tenant and key and name their calendar period', () => {
    const keys = keysFor(ACME_K1, Date.UTC(2024, 1, 29, 10));
    expect(keys.tenant).toEqual({
      turns: 't:acme:turns',
      rpm: 't:acme:rpm',
      tpm: 't:acme:tpm',
      day: 't:acme:day:2024-02-29',
      month: 't:acme:month:2024-02',
    });
    expect(keys.key).toEqual({
      turns: 't:acme:k:key_01:turns',
      rpm: 't:acme:k:key_01:rpm',
      tpm: 't:acme:k:key_01:tpm',
      day: 't:acme:k:key_01:day:2024-02-29',
      month: 't:acme:k:key_01:month:2024-02',
    });
    expect(keysFor(ACME, 0).key).toBeNull();
  });

  it('refuse ids that could contain a delimiter', () => {
    expect(() => keysFor({ tenantId: 'a:b', keyId: null }, 0)).toThrow(TypeError);
    expect(() => keysFor({ tenantId: '', keyId: null }, 0)).toThrow(TypeError);
    expect(() => keysFor({ tenantId: 'acme', keyId: 'key_01:x' }, 0)).toThrow(TypeError);
    expect(() => keysFor({ tenantId: 'acme', keyId: 'key_abc' }, 0)).toThrow(TypeError);
  });
});

describe('limiter: tokens per minute', () => {
  const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

  it('refuses once the minute’s tokens reach the limit, and admits again in the next window', async () => {
    const { clock, limiter } = setup(T0 + 23_000);
    const settings = { tenant: limits({ tokensPerMinute: 1000 }), key: null };
    await limiter.recordTokens(ACME, 999);
    await (await limiter.admitTurn(ACME, settings)).release();
    await limiter.recordTokens(ACME, 1);
    const error = await refusal(limiter.admitTurn(ACME, settings));
    expect(error).toMatchObject({
      kind: 'tokens-per-minute',
      level: 'tenant',
      limit: 1000,
      remaining: 0,
      resetAt: T0 + 60_000,
      retryAfterSeconds: 37,
      policy: '"tenant-tpm";q=1000;w=60;enclave-unit="tokens"',
    });
    clock.now = T0 + 59_999;
    expect((await refusal(limiter.admitTurn(ACME, settings))).retryAfterSeconds).toBe(1);
    clock.now = T0 + 60_000;
    await (await limiter.admitTurn(ACME, settings)).release();
  });

  it('a turn admitted under the limit may end above it; the next one is refused', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: limits({ tokensPerMinute: 100 }), key: null };
    const turn = await limiter.admitTurn(ACME, settings);
    await limiter.recordTokens(ACME, 250);
    await turn.release();
    expect(await refusal(limiter.admitTurn(ACME, settings))).toMatchObject({ remaining: 0, limit: 100 });
  });

  it('reports the limit closest to exhaustion on admission', async () => {
    const { limiter } = setup(T0);
    await limiter.recordTokens(ACME, 600);
    const turn = await limiter.admitTurn(ACME, {
      tenant: limits({ tokensPerMinute: 1000, tokensPerDay: 10_000 }),
      key: null,
    });
    expect(turn.tightest).toEqual({
      limit: 1000,
      remaining: 400,
      resetAt: T0 + 60_000,
      policy: '"tenant-tpm";q=1000;w=60;enclave-unit="tokens"',
    });
    await turn.release();
    const none = await limiter.admitTurn(ACME, { tenant: UNLIMITED, key: null });
    expect(none.tightest).toBeNull();
  });

  it('keeps a minute counter only for a level with a tokens-per-minute limit, given the turn’s settings', async () => {
    const { limiter } = setup(T0);
    const minute = async (key: string) => (await store.get(key, 60_000, T0)).total;
    await limiter.recordTokens(GLOBEX, 500, { tenant: UNLIMITED, key: null });
    expect(await minute('t:globex:tpm')).toBe(0);
    const settings = { tenant: limits({ tokensPerMinute: 1000 }), key: UNLIMITED };
    await limiter.recordTokens(ACME_K1, 400, settings);
    await limiter.recordTokens(ACME, 200, settings);
    expect(await minute('t:acme:tpm')).toBe(600);
    expect(await minute('t:acme:k:key_01:tpm')).toBe(0);
    const turn = await limiter.admitTurn(ACME, settings);
    expect(turn.tightest).toMatchObject({ limit: 1000, remaining: 400 });
    await turn.release();
  });
});

describe('limiter: daily and monthly quotas', () => {
  it('the daily quota resets at UTC midnight', async () => {
    const { clock, limiter } = setup(Date.UTC(2024, 2, 10, 23, 59, 0));
    const settings = { tenant: limits({ tokensPerDay: 500 }), key: null };
    await limiter.recordTokens(ACME, 500);
    clock.now = Date.UTC(2024, 2, 10, 23, 59, 59, 1);
    const error = await refusal(limiter.admitTurn(ACME, settings));
    expect(error).toMatchObject({
      kind: 'quota-day',
      resetAt: Date.UTC(2024, 2, 11),
      retryAfterSeconds: 1,
      policy: '"tenant-tokens-day";q=500;w=86400;enclave-unit="tokens"',
    });
    clock.now = Date.UTC(2024, 2, 11);
    await (await limiter.admitTurn(ACME, settings)).release();
  });

  it.each([
    ['Jan 31 → Feb 1', Date.UTC(2025, 0, 31, 23, 0), Date.UTC(2025, 1, 1), 31],
    ['Dec → Jan', Date.UTC(2024, 11, 31, 23, 0), Date.UTC(2025, 0, 1), 31],
    ['leap Feb 29 → Mar 1', Date.UTC(2024, 1, 29, 23, 0), Date.UTC(2024, 2, 1), 29],
    ['Feb 28 → Mar 1', Date.UTC(2023, 1, 28, 23, 0), Date.UTC(2023, 2, 1), 28],
  ])('the monthly quota resets on the first of the month: %s', async (_, lastHour, firstOfMonth, days) => {
    const { clock, limiter } = setup(lastHour);
    const settings = { tenant: limits({ tokensPerMonth: 1000 }), key: null };
    await limiter.recordTokens(ACME, 1000);
    const error = await refusal(limiter.admitTurn(ACME, settings));
    expect(error).toMatchObject({
      kind: 'quota-month',
      resetAt: firstOfMonth,
      retryAfterSeconds: 3600,
      policy: `"tenant-tokens-month";q=1000;w=${days * 86_400};enclave-unit="tokens"`,
    });
    clock.now = firstOfMonth - 1;
    await refusal(limiter.admitTurn(ACME, settings));
    clock.now = firstOfMonth;
    await (await limiter.admitTurn(ACME, settings)).release();
  });

  it('months are calendar months: usage on Mar 1 does not count in February', async () => {
    const { clock, limiter } = setup(Date.UTC(2024, 1, 1));
    const settings = { tenant: limits({ tokensPerMonth: 100 }), key: null };
    await limiter.recordTokens(ACME, 99);
    clock.now = Date.UTC(2024, 1, 29, 23, 59, 59, 999);
    await (await limiter.admitTurn(ACME, settings)).release();
    await limiter.recordTokens(ACME, 1);
    await refusal(limiter.admitTurn(ACME, settings));
    clock.now = Date.UTC(2024, 2, 1);
    await limiter.recordTokens(ACME, 99);
    await (await limiter.admitTurn(ACME, settings)).release();
  });

  it('when several are exceeded, reports the one that resets last', async () => {
    const { limiter } = setup(Date.UTC(2024, 4, 15, 10));
    await limiter.recordTokens(ACME, 1000);
    const all = limits({ tokensPerMinute: 10, tokensPerDay: 100, tokensPerMonth: 1000 });
    expect((await refusal(limiter.admitTurn(ACME, { tenant: all, key: null }))).kind).toBe('quota-month');
    const minuteAndDay = limits({ tokensPerMinute: 10, tokensPerDay: 100, tokensPerMonth: 5000 });
    expect((await refusal(limiter.admitTurn(ACME, { tenant: minuteAndDay, key: null }))).kind).toBe('quota-day');
  });

  it('a limit of zero refuses everything', async () => {
    const { limiter } = setup(Date.UTC(2024, 4, 15, 10));
    const error = await refusal(limiter.admitTurn(ACME, { tenant: limits({ tokensPerDay: 0 }), key: null }));
    expect(error).toMatchObject({ kind: 'quota-day', limit: 0, remaining: 0 });
  });
});

describe('limiter: concurrent turns', () => {
  const T0 = Date.UTC(2024, 4, 1, 12);

  it('refuses beyond the limit, frees on release, and release is idempotent', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: limits({ concurrentTurns: 2 }), key: null };
    const first = await limiter.admitTurn(ACME, settings);
    const second = await limiter.admitTurn(ACME, settings);
    const error = await refusal(limiter.admitTurn(ACME, settings));
    expect(error).toMatchObject({
      kind: 'concurrency',
      level: 'tenant',
      limit: 2,
      remaining: 0,
      resetAt: T0 + 1000,
      retryAfterSeconds: 1,
      policy: '"tenant-concurrency";q=2;qu="concurrent-requests"',
    });
    await first.release();
    await first.release();
    const third = await limiter.admitTurn(ACME, settings);
    await refusal(limiter.admitTurn(ACME, settings));
    await second.release();
    await third.release();
    expect(store.size()).toBe(0);
  });

  it('a crashed holder frees its slot after the turn TTL', async () => {
    const { clock, limiter } = setup(T0, { turnTtlMs: 120_000 });
    const settings = { tenant: limits({ concurrentTurns: 1 }), key: null };
    await limiter.admitTurn(ACME, settings); // never released
    clock.now = T0 + 119_999;
    await refusal(limiter.admitTurn(ACME, settings));
    clock.now = T0 + 120_000;
    await (await limiter.admitTurn(ACME, settings)).release();
  });

  it('key and tenant slots are both enforced; a refused key gives back the tenant slot', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: limits({ concurrentTurns: 2 }), key: limits({ concurrentTurns: 1 }) };
    const k1 = await limiter.admitTurn(ACME_K1, settings);
    expect(await refusal(limiter.admitTurn(ACME_K1, settings))).toMatchObject({
      kind: 'concurrency',
      level: 'key',
      limit: 1,
      policy: '"key-concurrency";q=1;qu="concurrent-requests"',
    });
    // The refused key turn released its tenant slot, so key_02 still fits.
    const k2 = await limiter.admitTurn(ACME_K2, settings);
    expect(await refusal(limiter.admitTurn(ACME, settings))).toMatchObject({ kind: 'concurrency', level: 'tenant' });
    await k1.release();
    await k2.release();
    expect(store.size()).toBe(0);
  });

  it('a turn refused for tokens gives back its concurrency slots', async () => {
    const { limiter } = setup(T0);
    await limiter.recordTokens(ACME_K1, 100);
    const settings = {
      tenant: limits({ concurrentTurns: 1, tokensPerMinute: 100 }),
      key: limits({ concurrentTurns: 1 }),
    };
    await refusal(limiter.admitTurn(ACME_K1, settings));
    const slotsHeld = store.size() - 6; // the six token counters written above
    expect(slotsHeld).toBe(0);
    const unlimitedTokens = { tenant: limits({ concurrentTurns: 1 }), key: limits({ concurrentTurns: 1 }) };
    await (await limiter.admitTurn(ACME_K1, unlimitedTokens)).release();
  });
});

describe('limiter: isolation and levels', () => {
  const T0 = Date.UTC(2024, 4, 1, 12);

  it('a tenant at its limit does not affect another tenant', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: limits({ tokensPerDay: 100, concurrentTurns: 1 }), key: null };
    await limiter.recordTokens(ACME, 100);
    await refusal(limiter.admitTurn(ACME, settings));
    const acmeTurn = await limiter.admitTurn(ACME, { tenant: limits({ concurrentTurns: 1 }), key: null });
    await refusal(limiter.admitTurn(ACME, { tenant: limits({ concurrentTurns: 1 }), key: null }));

    const globexTurn = await limiter.admitTurn(GLOBEX, settings);
    expect(globexTurn.tightest).toMatchObject({ limit: 100, remaining: 100 });
    expect((await store.getUntil(keysFor(GLOBEX, T0).tenant.day, utcDay(T0).resetAt, T0)).total).toBe(0);
    await acmeTurn.release();
    await globexTurn.release();
  });

  it('tokens count for the key and its tenant; key and tenant limits are both enforced', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: limits({ tokensPerDay: 1000 }), key: limits({ tokensPerDay: 300 }) };
    await limiter.recordTokens(ACME_K1, 300);
    expect(await refusal(limiter.admitTurn(ACME_K1, settings))).toMatchObject({
      kind: 'quota-day',
      level: 'key',
      limit: 300,
      policy: '"key-tokens-day";q=300;w=86400;enclave-unit="tokens"',
    });
    // Another key of the same tenant has its own counter but shares the tenant's.
    await (await limiter.admitTurn(ACME_K2, settings)).release();
    await limiter.recordTokens(ACME_K2, 299);
    await limiter.recordTokens(ACME, 401); // a JWT turn: tenant only
    const error = await refusal(limiter.admitTurn(ACME_K2, settings));
    expect(error).toMatchObject({ kind: 'quota-day', level: 'tenant', limit: 1000, remaining: 0 });
    const day = utcDay(T0).resetAt;
    const keys = keysFor(ACME_K2, T0);
    expect((await store.getUntil(keys.tenant.day, day, T0)).total).toBe(1000);
    expect((await store.getUntil(keys.key?.day ?? '', day, T0)).total).toBe(299);
  });

  it('key limits apply only with a key id and key settings', async () => {
    const { limiter } = setup(T0);
    const settings = { tenant: UNLIMITED, key: limits({ tokensPerMinute: 10 }) };
    await limiter.recordTokens(ACME_K1, 10);
    await refusal(limiter.admitTurn(ACME_K1, settings));
    await (await limiter.admitTurn(ACME, settings)).release();
    await (await limiter.admitTurn(ACME_K1, { tenant: UNLIMITED, key: null })).release();
  });

  it('refuses bad token counts and bad ids', async () => {
    const { limiter } = setup(T0);
    await expect(limiter.recordTokens(ACME, -1)).rejects.toThrow(RangeError);
    await expect(limiter.recordTokens(ACME, Number.NaN)).rejects.toThrow(RangeError);
    await limiter.recordTokens(ACME, 0);
    expect(store.size()).toBe(0);
    await expect(limiter.admitTurn({ tenantId: 'a:b', keyId: null }, { tenant: UNLIMITED, key: null })).rejects.toThrow(
      TypeError,
    );
  });
});

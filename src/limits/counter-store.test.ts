import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryCounterStore, fixedWindowResetAt, type MemoryCounterStore } from './counter-store.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // a multiple of 60 s

let store: MemoryCounterStore;
afterEach(async () => {
  await store?.close();
  vi.useRealTimers();
});

describe('memory counter store: fixed windows', () => {
  it('adds within a window, resets at the aligned boundary and reports resetAt', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.increment('a', 5, 60_000, T0)).toEqual({ total: 5, resetAt: T0 + 60_000 });
    expect(await store.increment('a', 3, 60_000, T0 + 59_999)).toEqual({ total: 8, resetAt: T0 + 60_000 });
    // Exactly on the boundary belongs to the next window.
    expect(await store.increment('a', 1, 60_000, T0 + 60_000)).toEqual({ total: 1, resetAt: T0 + 120_000 });
  });

  it('aligns to multiples of windowMs since the epoch, not to the first increment', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.increment('a', 1, 60_000, T0 + 45_000)).toEqual({ total: 1, resetAt: T0 + 60_000 });
    expect(fixedWindowResetAt(1000, 2500)).toBe(3000);
    expect(() => fixedWindowResetAt(0, 1)).toThrow(RangeError);
  });

  it('get reads without changing, and reads zero in a later window', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.get('a', 60_000, T0)).toEqual({ total: 0, resetAt: T0 + 60_000 });
    await store.increment('a', 7, 60_000, T0);
    expect(await store.get('a', 60_000, T0 + 1)).toEqual({ total: 7, resetAt: T0 + 60_000 });
    expect(await store.get('a', 60_000, T0 + 2)).toEqual({ total: 7, resetAt: T0 + 60_000 });
    expect(await store.get('a', 60_000, T0 + 60_000)).toEqual({ total: 0, resetAt: T0 + 120_000 });
  });

  it('keeps keys apart', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    await store.increment('a', 1, 60_000, T0);
    await store.increment('b', 2, 60_000, T0);
    expect((await store.get('a', 60_000, T0)).total).toBe(1);
    expect((await store.get('b', 60_000, T0)).total).toBe(2);
  });
});

describe('memory counter store: windows ending at a given instant', () => {
  it('adds until resetAt, then starts again; another resetAt is another window', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    const end = T0 + 3_600_000;
    expect(await store.incrementUntil('m', 10, end, T0)).toEqual({ total: 10, resetAt: end });
    expect(await store.incrementUntil('m', 5, end, end - 1)).toEqual({ total: 15, resetAt: end });
    expect(await store.getUntil('m', end, end - 1)).toEqual({ total: 15, resetAt: end, exists: true });
    expect(await store.getUntil('m', end + 1000, end)).toEqual({ total: 0, resetAt: end + 1000, exists: false });
    expect(await store.incrementUntil('m', 1, end + 1000, end)).toEqual({ total: 1, resetAt: end + 1000 });
  });

  it('refuses a resetAt that is not after now', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    await expect(store.incrementUntil('m', 1, T0, T0)).rejects.toThrow(RangeError);
    await expect(store.getUntil('m', T0 - 1, T0)).rejects.toThrow(RangeError);
  });
});

describe('memory counter store: concurrency slots', () => {
  it('acquire returns false when limit slots are held', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.acquire('s', 2, 'a', 10_000, T0)).toBe(true);
    expect(await store.acquire('s', 2, 'b', 10_000, T0)).toBe(true);
    expect(await store.acquire('s', 2, 'c', 10_000, T0)).toBe(false);
    expect(await store.acquire('other', 2, 'c', 10_000, T0)).toBe(true);
    expect(await store.acquire('z', 0, 'a', 10_000, T0)).toBe(false);
  });

  it('release is idempotent per token: a second release frees nobody else', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    await store.acquire('s', 2, 'a', 10_000, T0);
    await store.acquire('s', 2, 'b', 10_000, T0);
    await store.release('s', 'a');
    await store.release('s', 'a');
    await store.release('s', 'never-held');
    await store.release('unknown-key', 'a');
    expect(await store.acquire('s', 2, 'c', 10_000, T0)).toBe(true);
    expect(await store.acquire('s', 2, 'd', 10_000, T0)).toBe(false);
    expect(store.size()).toBe(2);
  });

  it('acquiring again with a held token refreshes it and takes no second slot', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.acquire('s', 2, 'a', 10_000, T0)).toBe(true);
    expect(await store.acquire('s', 2, 'a', 10_000, T0 + 9_000)).toBe(true);
    expect(await store.acquire('s', 2, 'b', 10_000, T0 + 9_000)).toBe(true);
    // Without the refresh 'a' would have expired at T0 + 10 s.
    expect(await store.acquire('s', 2, 'c', 10_000, T0 + 15_000)).toBe(false);
    expect(await store.acquire('s', 2, 'c', 10_000, T0 + 19_000)).toBe(true);
  });

  it('a crashed holder frees its slot after ttl', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    expect(await store.acquire('s', 1, 'crashed', 30_000, T0)).toBe(true);
    expect(await store.acquire('s', 1, 'next', 30_000, T0 + 29_999)).toBe(false);
    expect(await store.acquire('s', 1, 'next', 30_000, T0 + 30_000)).toBe(true);
    expect(store.size()).toBe(1);
  });
});

describe('memory counter store: bounded memory', () => {
  it('after 100k tenants whose windows expired, a sweep empties the store', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    for (let index = 0; index < 100_000; index++) {
      await store.increment(`t:tenant-${index}:tpm`, 1, 60_000, T0);
    }
    await store.incrementUntil('t:live:month:2024-05', 1, Date.UTC(2024, 5, 1), T0);
    await store.acquire('t:crashed:turns', 4, 'token', 60_000, T0);
    expect(store.size()).toBe(100_002);

    expect(store.sweep(T0 + 59_999)).toBe(0);
    expect(store.size()).toBe(100_002);
    expect(store.sweep(T0 + 60_000)).toBe(100_001);
    expect(store.size()).toBe(1);
    expect((await store.getUntil('t:live:month:2024-05', Date.UTC(2024, 5, 1), T0 + 60_000)).total).toBe(1);
  });

  it('an unref’d timer sweeps, and close() clears it', async () => {
    vi.useFakeTimers({ now: T0 });
    const timersBefore = vi.getTimerCount();
    store = createMemoryCounterStore({ sweepIntervalMs: 1000, now: () => Date.now() });
    expect(vi.getTimerCount()).toBe(timersBefore + 1);
    for (let index = 0; index < 1000; index++) await store.increment(`k${index}`, 1, 60_000, T0);
    expect(store.size()).toBe(1000);
    vi.advanceTimersByTime(59_000);
    expect(store.size()).toBe(1000);
    vi.advanceTimersByTime(1000);
    expect(store.size()).toBe(0);
    await store.close();
    expect(vi.getTimerCount()).toBe(timersBefore);
  });

  it('expired counters are replaced or dropped when touched, without a sweep', async () => {
    store = createMemoryCounterStore({ sweepIntervalMs: null });
    await store.increment('a', 1, 60_000, T0);
    await store.get('a', 60_000, T0 + 60_000);
    expect(store.size()).toBe(0);
    await store.increment('b', 1, 60_000, T0);
    await store.increment('b', 1, 60_000, T0 + 60_000);
    expect(store.size()).toBe(1);
  });
});

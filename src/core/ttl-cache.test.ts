import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';

function setup(maxEntries = 3) {
  const clock = { now: 0 };
  const cache = createTtlCache<string, number>({ ttlMs: 1_000, maxEntries, now: () => clock.now });
  return { clock, cache };
}

describe('createTtlCache', () => {
  it('answers for ttlMs after a write, then forgets', () => {
    const { clock, cache } = setup();
    cache.set('a', 1);
    clock.now = 999;
    expect(cache.get('a')).toBe(1);
    clock.now = 1_000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds only the keys written in the last ttlMs: a write drops the expired ones first', () => {
    const { clock, cache } = setup(10_000);
    for (let key = 0; key < 100; key++) cache.set(`old-${key}`, key);
    clock.now = 1_500;
    cache.set('new', 1);
    expect(cache.size).toBe(1);
  });

  it('never holds more than maxEntries, dropping the oldest write', () => {
    const { clock, cache } = setup(3);
    cache.set('a', 1);
    clock.now = 10;
    cache.set('b', 2);
    cache.set('c', 3);
    cache.set('a', 4); // written again: now the newest
    cache.set('d', 5);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([4, 3, 5]);
  });

  it('deletes one key, or every key whose value passes a test', () => {
    const { cache } = setup();
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.delete('a');
    cache.deleteWhere((value) => value > 2);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, undefined]);
  });
});

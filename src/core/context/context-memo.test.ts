import { describe, expect, it } from 'vitest';
import { countingKey, createContextMemo, type OverflowCount } from './context-memo.ts';
import { ESTIMATE_COUNTER } from './token-counter.ts';

const count = (tokens: number): OverflowCount => ({
  afterSeq: 0,
  beforeSeq: 10,
  counting: countingKey(ESTIMATE_COUNTER, 2_000),
  tokens,
  messages: 1,
  last: { seq: 9, turnId: 'msg_1' },
});

describe('createContextMemo', () => {
  it("never answers one tenant's or session's count for another, however the ids run together", () => {
    const memo = createContextMemo();
    memo.rememberOverflow('ab', 'c', count(1));
    memo.rememberOverflow('a', 'bc', count(2));
    memo.rememberOverflow('ab', 'cd', count(3));
    expect(memo.overflow('ab', 'c')?.tokens).toBe(1);
    expect(memo.overflow('a', 'bc')?.tokens).toBe(2);
    expect(memo.overflow('ab', 'cd')?.tokens).toBe(3);
    expect(memo.overflow('abc', '')).toBeUndefined();
    expect(memo.overflow('other', 'c')).toBeUndefined();
  });

  it('keeps at most its bound of sessions, dropping the least recently used', () => {
    const memo = createContextMemo(3);
    for (const session of ['s1', 's2', 's3']) memo.rememberOverflow('t', session, count(1));
    memo.overflow('t', 's1'); // used: s2 is now the least recently used
    memo.rememberOverflow('t', 's4', count(4));
    expect(memo.overflow('t', 's2')).toBeUndefined();
    expect(memo.overflow('t', 's1')).toBeDefined();
    expect(memo.overflow('t', 's3')).toBeDefined();
    expect(memo.overflow('t', 's4')?.tokens).toBe(4);
    memo.rememberOverflow('t', 's4', count(5)); // replacing an entry adds none
    expect(memo.overflow('t', 's1')).toBeDefined();
    expect(memo.overflow('t', 's4')?.tokens).toBe(5);
  });

  it('keeps window counts per tenant and session, at most its own bound of sessions', () => {
    const memo = createContextMemo(10, 2);
    const counts = (tokens: number) => ({ counting: 'c', bySeq: new Map([[1, { turnId: 'msg_1', tokens }]]) });
    memo.rememberWindowCounts('ab', 'c', counts(1));
    memo.rememberWindowCounts('a', 'bc', counts(2));
    expect(memo.windowCounts('a', 'bc')?.bySeq.get(1)?.tokens).toBe(2);
    expect(memo.windowCounts('ab', 'c')?.bySeq.get(1)?.tokens).toBe(1);
    memo.rememberWindowCounts('t', 's', counts(3)); // 'a'/'bc' is the least recently used: it goes
    expect(memo.windowCounts('a', 'bc')).toBeUndefined();
    expect(memo.windowCounts('ab', 'c')).toBeDefined();
    expect(memo.windowCounts('other', 'c')).toBeUndefined();
  });

  it("counts a system prompt once per tenant and counting, and never answers another tenant's count", () => {
    const memo = createContextMemo();
    const counted: string[] = [];
    const count = (tokens: number) => (prompt: string) => {
      counted.push(prompt);
      return tokens;
    };
    expect(memo.promptTokens('t1', 'c', 'You are helpful.', count(5))).toBe(5);
    expect(memo.promptTokens('t1', 'c', 'You are helpful.', count(99))).toBe(5);
    expect(memo.promptTokens('t2', 'c', 'You are helpful.', count(6))).toBe(6);
    expect(memo.promptTokens('t1', 'other', 'You are helpful.', count(7))).toBe(7);
    expect(memo.promptTokens('t1', 'c', 'You are helpful!', count(8))).toBe(8);
    expect(counted).toHaveLength(4);
  });

  it('lets one holder claim a session at a time, per tenant and session, until it releases', () => {
    const memo = createContextMemo();
    const release = memo.claimOverflow('t', 's');
    expect(release).toBeTypeOf('function');
    expect(memo.claimOverflow('t', 's')).toBeNull();
    expect(memo.claimOverflow('t2', 's')).not.toBeNull();
    expect(memo.claimOverflow('t', 's2')).not.toBeNull();
    release?.();
    expect(memo.claimOverflow('t', 's')).not.toBeNull();
  });

  it('tells countings apart by encoding, per-message overhead and tool-result trim', () => {
    const keys = new Set([
      countingKey(ESTIMATE_COUNTER, 2_000),
      countingKey(ESTIMATE_COUNTER, 500),
      countingKey({ encoding: 'o200k_base', messageOverhead: 3 }, 2_000),
      countingKey({ encoding: 'o200k_base', messageOverhead: 4 }, 2_000),
    ]);
    expect(keys.size).toBe(4);
  });
});

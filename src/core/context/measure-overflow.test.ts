import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginUserTurn, newMessage } from '../../../test/fakes/new-message.ts';
import { createStorage } from '../../storage/create-storage.ts';
import type { Storage } from '../ports.ts';
import { type ContextMemo, createContextMemo } from './context-memo.ts';
import { measureOverflow, needsSummary, type OverflowRange, SUMMARY_READ_LIMIT } from './measure-overflow.ts';
import { ESTIMATE_COUNTER } from './token-counter.ts';

let storage: Storage;
/** Rows returned by each `contextMessages` read, in order. */
let reads: number[];
let spied: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
  reads = [];
  spied = {
    ...storage,
    contextMessages: async (...args) => {
      const rows = await storage.contextMessages(...args);
      reads.push(rows.length);
      return rows;
    },
  };
});
afterEach(async () => {
  await storage.close();
});

/** Stores one turn (user message and final reply) in the tenant's session; returns the reply's seq. */
async function turn(tenantId: string, sessionId: string, text: string, reply: string): Promise<number> {
  const turnId = await beginUserTurn(storage, tenantId, sessionId, text);
  const [stored] = await storage.appendMessages(tenantId, sessionId, [
    newMessage('assistant', [{ type: 'text', text: reply }], turnId, { final: true }),
  ]);
  return stored?.seq ?? 0;
}

const range = (afterSeq: number, beforeSeq: number, memo?: ContextMemo): OverflowRange => ({
  afterSeq,
  beforeSeq,
  counter: ESTIMATE_COUNTER,
  toolResultMaxChars: 2_000,
  memo,
});

/** The overflow counted from storage alone, as a turn without a memo counts it. */
const fresh = async (tenantId: string, afterSeq: number, beforeSeq: number) => {
  const { tokens, messages } = await measureOverflow(storage, tenantId, 's', range(afterSeq, beforeSeq));
  return { tokens, messages };
};

describe('measureOverflow', () => {
  it('counts what a fresh count gives, turn after turn, reading only what left the window since', async () => {
    const memo = createContextMemo();
    let afterSeq = 0;
    for (let index = 0; index < 40; index++) {
      const last = await turn(
        't',
        's',
        `question ${index} ${'x'.repeat(index % 7)}`,
        `answer ${'é'.repeat(index % 5)}`,
      );
      // A window of the newest 10 messages; a summary up to a few turns back, moved on now and then.
      const beforeSeq = Math.max(1, last - 9);
      if (index % 13 === 12) afterSeq = beforeSeq - 5;
      reads.length = 0;
      const measured = await measureOverflow(spied, 't', 's', range(afterSeq, beforeSeq, memo));
      expect({ tokens: measured.tokens, messages: measured.messages }).toEqual(await fresh('t', afterSeq, beforeSeq));
      // One read a turn: the whole overflow when the summary moved (or first), else the two messages
      // that left the window and the last one counted, checked.
      expect(reads.length).toBeLessThanOrEqual(1);
      if (index > 5 && index % 13 !== 12) {
        expect(reads).toHaveLength(1);
        expect(reads[0]).toBe(3);
        expect(measured.rows).toBeNull();
      } else if (index % 13 === 12) expect(measured.rows).toHaveLength(measured.messages);
    }
  });

  it('reads nothing when the window has not moved', async () => {
    const memo = createContextMemo();
    for (let index = 0; index < 10; index++) await turn('t', 's', 'q', 'a');
    const first = await measureOverflow(spied, 't', 's', range(0, 15, memo));
    reads.length = 0;
    const again = await measureOverflow(spied, 't', 's', range(0, 15, memo));
    expect(reads).toEqual([]);
    expect(again.tokens).toBe(first.tokens);
  });

  it('counts afresh when the window moved back, the summary moved back, or the counting changed', async () => {
    const memo = createContextMemo();
    for (let index = 0; index < 20; index++) await turn('t', 's', `q ${index}`, `a ${'y'.repeat(index)}`);
    await measureOverflow(spied, 't', 's', range(6, 30, memo));
    const cases: [string, OverflowRange, { afterSeq: number; beforeSeq: number }][] = [
      ['window back', range(6, 24, memo), { afterSeq: 6, beforeSeq: 24 }],
      ['summary back', range(2, 30, memo), { afterSeq: 2, beforeSeq: 30 }],
      ['trim', { ...range(2, 32, memo), toolResultMaxChars: 100 }, { afterSeq: 2, beforeSeq: 32 }],
      [
        'counter',
        { ...range(2, 34, memo), counter: { ...ESTIMATE_COUNTER, encoding: 'x' } },
        { afterSeq: 2, beforeSeq: 34 },
      ],
    ];
    for (const [name, request, expected] of cases) {
      await measureOverflow(spied, 't', 's', range(6, 30, memo));
      reads.length = 0;
      const measured = await measureOverflow(spied, 't', 's', request);
      expect(measured.rows, name).not.toBeNull();
      expect(measured.messages, name).toBe(expected.beforeSeq - expected.afterSeq - 1);
      if (name === 'window back' || name === 'summary back') {
        expect(measured.tokens, name).toBe((await fresh('t', expected.afterSeq, expected.beforeSeq)).tokens);
      }
    }
  });

  it('does not trust a count whose last message is gone: a session deleted and created again counts afresh', async () => {
    const memo = createContextMemo();
    for (let index = 0; index < 10; index++) await turn('t', 's', 'q', 'a');
    await measureOverflow(spied, 't', 's', range(0, 15, memo));
    await storage.deleteSession('t', 's');
    // The same ids again, longer messages, further along than the count reached.
    for (let index = 0; index < 12; index++) await turn('t', 's', 'a much longer question', 'and a longer answer too');
    const measured = await measureOverflow(spied, 't', 's', range(0, 20, memo));
    expect({ tokens: measured.tokens, messages: measured.messages }).toEqual(await fresh('t', 0, 20));
    expect(measured.rows).toHaveLength(19);
  });

  it("never counts from another tenant's session of the same id", async () => {
    const memo = createContextMemo();
    for (let index = 0; index < 10; index++) {
      await turn('t1', 's', 'q', 'a');
      await turn('t2', 's', 'a much longer question', 'and a longer answer too');
    }
    await measureOverflow(spied, 't1', 's', range(0, 15, memo));
    const other = await measureOverflow(spied, 't2', 's', range(0, 17, memo));
    expect({ tokens: other.tokens, messages: other.messages }).toEqual(await fresh('t2', 0, 17));
    expect(other.rows).not.toBeNull();
  });

  it('needs a summary past a quarter of the budget, or at SUMMARY_READ_LIMIT messages whatever their tokens', async () => {
    const memo = createContextMemo();
    let last = 0;
    for (let index = 0; index < 130; index++) last = await turn('t', 's', 'q', 'a');
    const budget = 1_000_000;
    const below = await measureOverflow(spied, 't', 's', range(0, last - 99, memo));
    expect(below.messages).toBe(last - 100);
    expect(needsSummary(below, budget)).toBe(false);
    // The count grows past the read limit through the memo, a few messages at a time.
    reads.length = 0;
    const at = await measureOverflow(spied, 't', 's', range(0, last - 9, memo));
    expect(reads).toEqual([SUMMARY_READ_LIMIT - below.messages + 1]);
    expect(at.messages).toBe(SUMMARY_READ_LIMIT);
    expect(needsSummary(at, budget)).toBe(true);
    // Counted from storage alone, a backlog longer than the limit reads and counts the newest SUMMARY_READ_LIMIT.
    const full = await measureOverflow(spied, 't', 's', range(0, last - 9));
    expect(full.messages).toBe(SUMMARY_READ_LIMIT);
    expect(full.rows?.at(-1)?.seq).toBe(last - 10);
    expect(needsSummary({ tokens: Math.floor(budget / 4) + 1, messages: 1, rows: null }, budget)).toBe(true);
    expect(needsSummary({ tokens: Math.floor(budget / 4), messages: 1, rows: null }, budget)).toBe(false);
  });
});

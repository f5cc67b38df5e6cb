import type { ContextMessage, Storage } from '../ports.ts';
import { type ContextMemo, countingKey, type OverflowCount } from './context-memo.ts';
import { messageTokens, toModelMessage } from './context-message.ts';
import type { TokenCounter } from './token-counter.ts';

/**
 * Most messages of the overflow (between the summary and the window) read at once, to measure it
 * or to summarise it. An overflow this long is summarised whatever its tokens.
 */
export const SUMMARY_READ_LIMIT = 200;

/** The messages a turn's context leaves out between the session's summary and its window. */
export interface Overflow {
  /** Their tokens by the turn's counter (of the newest `SUMMARY_READ_LIMIT` when there are more). */
  tokens: number;
  /** How many; `SUMMARY_READ_LIMIT` means at least that many. */
  messages: number;
  /** The newest `SUMMARY_READ_LIMIT` of them, oldest first, when this measure read them; else null. */
  rows: ContextMessage[] | null;
}

export interface OverflowRange {
  /** The summary's `upToSeq`, 0 without a summary. */
  afterSeq: number;
  /** The window's first `seq`. */
  beforeSeq: number;
  counter: TokenCounter;
  toolResultMaxChars: number;
  /** Where the last count is kept between turns; without it every measure reads the whole range. */
  memo?: ContextMemo | undefined;
}

/** The newest `SUMMARY_READ_LIMIT` context messages with `afterSeq < seq < beforeSeq`, oldest first. */
export async function readOverflow(
  storage: Storage,
  tenantId: string,
  sessionId: string,
  range: { afterSeq: number; beforeSeq: number },
): Promise<ContextMessage[]> {
  const newestFirst = await storage.contextMessages(tenantId, sessionId, {
    ...range,
    limit: SUMMARY_READ_LIMIT,
    order: 'desc',
  });
  return newestFirst.reverse();
}

/**
 * Measures the overflow. With a memo holding the session's count from an earlier turn (same
 * summary, same counting, a window that has only moved on), it reads and counts only the messages
 * that left the window since, from the last one counted (which must still be there, or the count
 * is not trusted); otherwise it reads the newest `SUMMARY_READ_LIMIT` of the overflow.
 */
export async function measureOverflow(
  storage: Storage,
  tenantId: string,
  sessionId: string,
  range: OverflowRange,
): Promise<Overflow> {
  const { afterSeq, beforeSeq, memo } = range;
  const counting = countingKey(range.counter, range.toolResultMaxChars);
  const cost = (row: ContextMessage): number =>
    messageTokens(range.counter, toModelMessage(row, range.toolResultMaxChars));
  const remember = (tokens: number, messages: number, last: ContextMessage | undefined | null) => {
    const count: OverflowCount = {
      afterSeq,
      beforeSeq,
      counting,
      tokens,
      messages,
      last: last ? { seq: last.seq, turnId: last.turnId } : null,
    };
    memo?.rememberOverflow(tenantId, sessionId, count);
  };

  const known = memo?.overflow(tenantId, sessionId);
  if (known && known.afterSeq === afterSeq && known.counting === counting && known.beforeSeq <= beforeSeq) {
    if (known.beforeSeq === beforeSeq) return { tokens: known.tokens, messages: known.messages, rows: null };
    const room = SUMMARY_READ_LIMIT - known.messages;
    const rows = await storage.contextMessages(tenantId, sessionId, {
      // From the last message counted, inclusive, to check that it is the one counted.
      afterSeq: known.last ? known.last.seq - 1 : afterSeq,
      beforeSeq,
      limit: room + (known.last ? 1 : 0),
      order: 'asc',
    });
    const checked = known.last ? rows.shift() : null;
    if (checked === null || (checked?.seq === known.last?.seq && checked?.turnId === known.last?.turnId)) {
      let tokens = known.tokens;
      for (const row of rows) tokens += cost(row);
      const messages = known.messages + rows.length;
      // A read that filled its room may have left messages out: such a count is not kept.
      if (rows.length < room) remember(tokens, messages, rows.at(-1) ?? checked);
      return { tokens, messages, rows: null };
    }
    // The message counted last is gone (the session was deleted and created again, or erased): count afresh.
  }

  const rows = await readOverflow(storage, tenantId, sessionId, { afterSeq, beforeSeq });
  let tokens = 0;
  for (const row of rows) tokens += cost(row);
  if (rows.length < SUMMARY_READ_LIMIT) remember(tokens, rows.length, rows.at(-1));
  return { tokens, messages: rows.length, rows };
}

/** Whether the overflow should be folded into the summary: past a quarter of the budget, or past the read limit. */
export function needsSummary(overflow: Overflow, budgetTokens: number): boolean {
  return overflow.tokens > Math.floor(budgetTokens / 4) || overflow.messages >= SUMMARY_READ_LIMIT;
}

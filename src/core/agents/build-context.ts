import type { ModelMessage, SystemModelMessage } from 'ai';
import { type ContextMemo, countingKey } from '../context/context-memo.ts';
import { messageTokens, REPLY_PRIMING_TOKENS, toModelMessage } from '../context/context-message.ts';
import { measureOverflow, needsSummary, readOverflow } from '../context/measure-overflow.ts';
import { type RollingSummaryWriter, summaryNote } from '../context/rolling-summary.ts';
import { ESTIMATE_COUNTER, type TokenCounter } from '../context/token-counter.ts';
import { type Message, messageText } from '../conversations/message.ts';
import type { ContextMessage, SessionSummary, Storage } from '../ports.ts';

/** Most messages read from storage for one context, whatever the token budget. */
export const CONTEXT_MESSAGE_LIMIT = 32;

/** Default of `CONTEXT_TOOL_RESULT_MAX_CHARS`: a tool result's size in the context, not in storage. */
export const DEFAULT_TOOL_RESULT_MAX_CHARS = 2_000;

export interface ContextOptions {
  systemPrompt: string;
  budgetTokens: number;
  /** The turn's model's token counter; the estimate when absent. */
  counter?: TokenCounter;
  /** Longest tool result in the context, in characters; longer ones are trimmed (the stored one is not). */
  toolResultMaxChars?: number;
  /** Writes the rolling summary; absent or null means no summary (the newest turns only). */
  summaries?: RollingSummaryWriter | null;
  /** Told when a summary could not be written; the context then falls back to the newest turns. */
  onSummaryError?: (error: unknown) => void;
  /**
   * This process's memory of earlier turns: overflow counts, so a turn counts only what left the
   * window since the last one, and claims, so concurrent turns of a session do not each measure
   * and summarise the same overflow. Absent means every turn measures from storage.
   */
  memo?: ContextMemo | undefined;
}

export interface BuiltContext {
  /** The system prompt, then the summary note when there is a summary. */
  instructions: SystemModelMessage[];
  /** Earlier turns that fit, oldest first, then the current user message. */
  messages: ModelMessage[];
  /** Tokens of instructions plus messages by the counter, with the reply's priming. */
  tokens: number;
  /** The summary in the context, or null. */
  summary: SessionSummary | null;
  /** True when this turn wrote a new summary. */
  summarised: boolean;
}

interface Window {
  messages: ModelMessage[];
  tokens: number;
  /** Lowest `seq` in the window (the current message's when it holds nothing earlier). */
  firstSeq: number;
  /** Whether context messages after the summary were left out (by budget, or the read limit). */
  overflowed: boolean;
  withSummary: boolean;
}

/**
 * Builds a bounded context: the system prompt and the current message always; then the rolling
 * summary of older turns, when there is one and it fits; then earlier messages, newest first,
 * while they fit the token budget and `CONTEXT_MESSAGE_LIMIT`. When the turns left out between the
 * summary and that window exceed a quarter of the budget (or `SUMMARY_READ_LIMIT` messages), they
 * are folded into the summary first (one model call, at most one per turn). Reads and work are
 * bounded by the limits, never by the history's length.
 */
export async function buildContext(
  storage: Storage,
  tenantId: string,
  current: Message,
  options: ContextOptions,
): Promise<BuiltContext> {
  const counter = options.counter ?? ESTIMATE_COUNTER;
  const maxChars = options.toolResultMaxChars ?? DEFAULT_TOOL_RESULT_MAX_CHARS;
  const budget = options.budgetTokens;
  const system: SystemModelMessage = { role: 'system', content: options.systemPrompt };
  const currentMessage: ModelMessage = { role: 'user', content: messageText(current.content) };
  const { summaries, memo } = options;
  const sessionId = current.sessionId;
  // Counts are remembered for a tokenizer only: the estimate reads each character once, about what
  // remembering would cost, and most of its turns (a new tenant's, a new session's) have no window.
  const counts = counter.encoding === ESTIMATE_COUNTER.encoding ? undefined : memo;
  const counting = counts ? countingKey(counter, maxChars) : '';
  // The same prompt on every turn of an agent: counted once per process (an exact tokenizer takes
  // about a third of a millisecond per kilobyte).
  const systemTokens = counts
    ? counts.promptTokens(tenantId, counting, options.systemPrompt, () => messageTokens(counter, system))
    : messageTokens(counter, system);
  const fixed = systemTokens + messageTokens(counter, currentMessage) + REPLY_PRIMING_TOKENS;

  // One read (one round of the tenant scope on PostgreSQL) for the summary and the turns after it.
  // None for a session's first message (sequence numbers start at 1): nothing came before it, and a
  // summary only folds earlier turns. Every new session's first turn, and every legacy turn of a new
  // tenant, skips two reads so.
  const start =
    current.seq <= 1
      ? { summary: null, messages: [] }
      : await storage.contextWindow(tenantId, current.sessionId, {
          beforeSeq: current.seq,
          limit: CONTEXT_MESSAGE_LIMIT,
          withSummary: options.summaries != null,
        });
  let summary = start.summary;
  const rows = start.messages;

  // The counts of the last turn's window: most of this window's messages were in it. A count is
  // reused only for the same message counted alike (an exact tokenizer costs about 1.5 ms per 32 short messages).
  const remembered = counts?.windowCounts(tenantId, sessionId);
  const known = remembered?.counting === counting ? remembered.bySeq : undefined;
  const counted = new Map<number, { turnId: string; tokens: number }>();
  const costOf = (row: ContextMessage, message: ModelMessage): number => {
    // Nothing to look up or keep for the estimate: count as before.
    if (!counts) return messageTokens(counter, message);
    const hit = known?.get(row.seq);
    const tokens = hit?.turnId === row.turnId ? hit.tokens : messageTokens(counter, message);
    counted.set(row.seq, { turnId: row.turnId, tokens });
    return tokens;
  };

  const fill = (candidates: readonly ContextMessage[], note: SystemModelMessage | null): Window => {
    const noteTokens = note ? messageTokens(counter, note) : 0;
    const withSummary = note !== null && fixed + noteTokens <= budget;
    let tokens = fixed + (withSummary ? noteTokens : 0);
    const chosen: { seq: number; role: string; message: ModelMessage; cost: number }[] = [];
    for (const row of candidates) {
      const message = toModelMessage(row, maxChars);
      const cost = costOf(row, message);
      if (tokens + cost > budget) break;
      tokens += cost;
      chosen.push({ seq: row.seq, role: row.role, message, cost });
    }
    // A tool result whose call was left out would be rejected by providers: it goes too.
    while (chosen.at(-1)?.role === 'tool') tokens -= chosen.pop()?.cost ?? 0;
    return {
      messages: chosen.reverse().map((entry) => entry.message),
      tokens,
      firstSeq: chosen[0]?.seq ?? current.seq,
      overflowed: chosen.length < candidates.length || candidates.length === CONTEXT_MESSAGE_LIMIT,
      withSummary,
    };
  };
  const noteOf = (value: SessionSummary | null): SystemModelMessage | null =>
    value ? { role: 'system', content: summaryNote(value.text) } : null;

  let window = fill(rows, noteOf(summary));
  if (counts && counted.size > 0) counts.rememberWindowCounts(tenantId, sessionId, { counting, bySeq: counted });
  let summarised = false;
  // One turn of this process at a time measures a session's overflow and summarises it: concurrent
  // turns would each read and count the same messages, then each pay for nearly the same summary.
  // A turn that finds the claim taken goes on with the newest turns, as below the threshold.
  const release = summaries && window.overflowed ? (memo ? memo.claimOverflow(tenantId, sessionId) : () => {}) : null;
  if (summaries && release) {
    try {
      const range = { afterSeq: summary?.upToSeq ?? 0, beforeSeq: window.firstSeq };
      const overflow = await measureOverflow(storage, tenantId, sessionId, {
        ...range,
        counter,
        toolResultMaxChars: maxChars,
        memo,
      });
      // Not every turn: only once the turns in neither the summary nor the window pass a quarter of the budget.
      if (needsSummary(overflow, budget)) {
        // The newest SUMMARY_READ_LIMIT messages of the overflow. A longer backlog (a history from
        // before summaries, or summaries that failed) is not caught up from its start: that would
        // cost a summarisation on every turn for thousands of turns.
        const backlog = overflow.rows ?? (await readOverflow(storage, tenantId, sessionId, range));
        const batch = summaryBatch(backlog, counter, maxChars, budget);
        try {
          summary = await summaries.write(summary, batch, Math.max(1, Math.floor(budget / 4)));
          summarised = true;
          const after = summary.upToSeq;
          window = fill(
            rows.filter((row) => row.seq > after),
            noteOf(summary),
          );
        } catch (error) {
          options.onSummaryError?.(error);
        }
      }
    } finally {
      release();
    }
  }
  return {
    instructions: window.withSummary ? [system, noteOf(summary) as SystemModelMessage] : [system],
    messages: [...window.messages, currentMessage],
    tokens: window.tokens,
    summary: window.withSummary ? summary : null,
    summarised,
  };
}

/**
 * The oldest part of the overflow that one summarisation call takes: messages in order while they
 * add up to at most twice the budget (at least one), so a backlog left by failed summaries is
 * caught up over a few turns rather than sent in one oversized request.
 */
function summaryBatch(
  overflow: readonly ContextMessage[],
  counter: TokenCounter,
  maxChars: number,
  budget: number,
): ContextMessage[] {
  let tokens = 0;
  const batch: ContextMessage[] = [];
  for (const row of overflow) {
    const cost = messageTokens(counter, toModelMessage(row, maxChars));
    if (batch.length > 0 && tokens + cost > budget * 2) break;
    batch.push(row);
    tokens += cost;
  }
  return batch;
}

import type { Message, Usage } from '../conversations/message.ts';

/** What a turn's stored messages say about it: it finished, was cancelled, failed, or is still open. */
export type TurnOutcome = 'completed' | 'cancelled' | 'failed' | 'open';

/**
 * A turn's outcome from the messages it stored besides its user message, and whether it was
 * running just before they were read: storage wins once it holds the outcome (the outcome is
 * written before the running mark is removed). A turn that stored no outcome and runs nowhere was
 * lost with its replica: `failed`.
 */
export function turnOutcomeOf(outcome: readonly Message[], running: boolean): TurnOutcome {
  if (outcome.some((message) => message.final && message.status === 'completed')) return 'completed';
  if (outcome.some((message) => message.status === 'cancelled')) return 'cancelled';
  if (outcome.some((message) => message.status === 'failed')) return 'failed';
  return running ? 'open' : 'failed';
}

/** The usage a turn's messages were charged, summed; null when none was charged. */
export function turnUsageOf(outcome: readonly Message[]): Usage | null {
  const charged = outcome.filter((message) => message.usage !== null);
  if (charged.length === 0) return null;
  return charged.reduce<Usage>(
    (total, message) => ({
      inputTokens: total.inputTokens + (message.usage?.inputTokens ?? 0),
      outputTokens: total.outputTokens + (message.usage?.outputTokens ?? 0),
      totalTokens: total.totalTokens + (message.usage?.totalTokens ?? 0),
    }),
    { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  );
}

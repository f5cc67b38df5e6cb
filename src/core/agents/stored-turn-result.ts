import type { Message, Usage } from '../conversations/message.ts';
import type { TurnResult } from './run-agent.ts';
import { addUsage, toUsage } from './steps-to-messages.ts';

/**
 * A committed turn as `runAgentTurn` returned it, read back from its stored messages (`getTurn`:
 * the user message, then what `completeTurn` stored): the same messages, the usage summed over
 * them, and the final reply's latency. Null when the turn has no final reply (it never committed).
 */
export function storedTurnResult(messages: readonly Message[]): TurnResult | null {
  const [userMessage, ...rest] = messages;
  const reply = rest.findLast((message) => message.final && message.status === 'completed');
  if (userMessage?.role !== 'user' || !reply) return null;
  const turnMessages = rest.filter((message) => message.status === 'completed');
  const usage = turnMessages.reduce<Usage>(
    (total, message) => (message.usage ? addUsage(total, message.usage) : total),
    toUsage(undefined),
  );
  return {
    turnId: userMessage.turnId,
    userMessage,
    messages: turnMessages,
    reply,
    usage,
    latencyMs: reply.latencyMs ?? 0,
    // Not stored with the turn: how its model call ended, and which client tool calls it left open.
    finishReason: 'unknown',
    pendingToolCalls: [],
    stored: true,
  };
}

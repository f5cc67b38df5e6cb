import type { ModelMessage } from 'ai';
import { type Message, messageText } from '../conversations/message.ts';
import type { Storage } from '../ports.ts';
import { estimateTokens } from './estimate-tokens.ts';

/** Most messages read from storage for one context, whatever the token budget. */
export const CONTEXT_MESSAGE_LIMIT = 32;

export interface BuiltContext {
  /** Earlier turns that fit, oldest first, then the current user message. */
  messages: ModelMessage[];
  /** Estimated tokens of system prompt plus messages. */
  tokens: number;
}

/**
 * Builds a bounded context: the system prompt and the current message always, then earlier
 * user messages and final replies, newest first, while they fit the token budget. Its size and
 * cost depend only on the budget and `CONTEXT_MESSAGE_LIMIT`, never on the history length.
 */
export async function buildContext(
  storage: Storage,
  tenantId: string,
  current: Message,
  options: { systemPrompt: string; budgetTokens: number },
): Promise<BuiltContext> {
  const currentText = messageText(current.content);
  let tokens = estimateTokens(options.systemPrompt) + estimateTokens(currentText);
  const earlier = await storage.recentContext(tenantId, current.sessionId, current.seq, CONTEXT_MESSAGE_LIMIT);
  const chosen: ModelMessage[] = [];
  for (const message of earlier) {
    const text = message.text;
    const cost = estimateTokens(text);
    if (tokens + cost > options.budgetTokens) break;
    tokens += cost;
    chosen.push(message.role === 'user' ? { role: 'user', content: text } : { role: 'assistant', content: text });
  }
  chosen.reverse();
  chosen.push({ role: 'user', content: currentText });
  return { messages: chosen, tokens };
}

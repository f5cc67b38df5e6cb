import type { ModelMessage, SystemModelMessage } from 'ai';
import { messageTokens, REPLY_PRIMING_TOKENS } from '../context/context-message.ts';
import type { TokenCounter } from '../context/token-counter.ts';
import type { Message, NewMessage } from '../conversations/message.ts';
import type { BuiltContext } from './build-context.ts';

/** What the model call of a turn with caller-sent messages starts from. */
export interface InputContext {
  instructions: SystemModelMessage[];
  messages: ModelMessage[];
  /** Tokens of instructions plus messages by `counter`, with the reply's priming (for usage estimates). */
  tokens: number;
  counter: TokenCounter;
}

/**
 * The context of a turn whose messages the caller sent. Stateless (`stored` null): the system
 * prompt (none for a gateway call), then the caller's messages as they are, never trimmed (the
 * caller owns its context, as with OpenAI). After a session's history (`stored` given): that
 * history without the turn's own stored user message, then the caller's messages.
 */
export function inputContext(
  stored: (BuiltContext & { counter: TokenCounter }) | null,
  counter: TokenCounter,
  systemPrompt: string | null,
  messages: readonly ModelMessage[],
): InputContext {
  const added = messages.reduce((total, message) => total + messageTokens(counter, message), 0);
  if (stored) {
    const current = stored.messages.at(-1);
    const currentTokens = current ? messageTokens(stored.counter, current) : 0;
    return {
      instructions: stored.instructions,
      messages: [...stored.messages.slice(0, -1), ...messages],
      tokens: stored.tokens - currentTokens + added,
      counter: stored.counter,
    };
  }
  const instructions: SystemModelMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  const fixed = instructions.reduce((total, message) => total + messageTokens(counter, message), 0);
  return { instructions, messages: [...messages], tokens: fixed + added + REPLY_PRIMING_TOKENS, counter };
}

/** A message of a stateless turn that is not stored: as it would be, without a place in a session (`seq` 0). */
export function unstoredMessage(tenantId: string, sessionId: string, message: NewMessage, now: number): Message {
  return { ...message, tenantId, sessionId, seq: 0, createdAt: new Date(now).toISOString() };
}

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
  // Counted only when read: the count is for usage estimates, which only a provider that reports
  // no usage needs, and tokenizing every caller message of every call costs CPU on the turn path.
  const added = () => messages.reduce((total, message) => total + messageTokens(counter, message), 0);
  if (stored) {
    const current = stored.messages.at(-1);
    return withLazyTokens(
      {
        instructions: stored.instructions,
        messages: [...stored.messages.slice(0, -1), ...messages],
        counter: stored.counter,
      },
      () => stored.tokens - (current ? messageTokens(stored.counter, current) : 0) + added(),
    );
  }
  const instructions: SystemModelMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  return withLazyTokens({ instructions, messages: [...messages], counter }, () => {
    const fixed = instructions.reduce((total, message) => total + messageTokens(counter, message), 0);
    return fixed + added() + REPLY_PRIMING_TOKENS;
  });
}

/** The context with `tokens` counted on first read, once. */
function withLazyTokens(context: Omit<InputContext, 'tokens'>, count: () => number): InputContext {
  let tokens: number | undefined;
  return {
    ...context,
    get tokens() {
      tokens ??= count();
      return tokens;
    },
  };
}

/** A message of a stateless turn that is not stored: as it would be, without a place in a session (`seq` 0). */
export function unstoredMessage(tenantId: string, sessionId: string, message: NewMessage, now: number): Message {
  return { ...message, tenantId, sessionId, seq: 0, createdAt: new Date(now).toISOString() };
}

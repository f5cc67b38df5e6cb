import type { ModelMessage, SystemModelMessage, ToolResultPart } from 'ai';
import type { ContentPart } from '../conversations/message.ts';
import type { ContextMessage } from '../ports.ts';
import type { TokenCounter } from './token-counter.ts';

/** Tokens a chat format adds to prime the reply (`<|start|>assistant<|message|>`), counted once per prompt. */
export const REPLY_PRIMING_TOKENS = 3;

/** Cuts `text` to at most `max` characters, ending with a marker that says how much was left out. */
export function trimForContext(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (kept: number) => `… [trimmed in context: ${kept} of ${text.length} characters shown]`;
  let kept = Math.max(0, max - marker(max).length);
  // Never split a surrogate pair.
  const last = text.charCodeAt(kept - 1);
  if (kept > 0 && last >= 0xd800 && last <= 0xdbff) kept--;
  return text.slice(0, kept) + marker(kept);
}

/** A stored tool output as the model sees it: JSON when short, else text cut to `maxChars`. */
function toolOutput(part: Extract<ContentPart, { type: 'tool-result' }>, maxChars: number): ToolResultPart['output'] {
  const { output } = part;
  const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? 'null');
  if (part.isError) return { type: 'error-text', value: trimForContext(text, maxChars) };
  if (typeof output === 'string' || text.length > maxChars)
    return { type: 'text', value: trimForContext(text, maxChars) };
  return { type: 'json', value: output as never };
}

/**
 * A stored context message as an AI SDK model message. Tool results longer than
 * `toolResultMaxChars` are trimmed in the context only; the stored message keeps the full output.
 */
export function toModelMessage(message: ContextMessage, toolResultMaxChars: number): ModelMessage {
  if (message.role === 'tool') {
    const content: ToolResultPart[] = [];
    for (const part of message.content) {
      if (part.type !== 'tool-result') continue;
      content.push({
        type: 'tool-result',
        toolCallId: part.toolCallId,
        toolName: part.toolName,
        output: toolOutput(part, toolResultMaxChars),
      });
    }
    return { role: 'tool', content };
  }
  const text = textOf(message.content);
  if (message.role === 'user') return { role: 'user', content: text };
  const calls = message.content.filter((part) => part.type === 'tool-call');
  if (calls.length === 0) return { role: 'assistant', content: text };
  return {
    role: 'assistant',
    content: [
      ...(text ? [{ type: 'text' as const, text }] : []),
      ...calls.map((call) => ({
        type: 'tool-call' as const,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: call.input,
      })),
    ],
  };
}

function textOf(content: readonly ContentPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** The text a model message puts on the wire, near enough to count: text, tool names, inputs and outputs. */
export function wireText(message: ModelMessage | SystemModelMessage): string {
  if (typeof message.content === 'string') return message.content;
  let text = '';
  for (const part of message.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'tool-call') text += `${part.toolCallId}${part.toolName}${JSON.stringify(part.input) ?? ''}`;
    else if (part.type === 'tool-result') {
      const output = part.output;
      text += `${part.toolCallId}${part.toolName}`;
      if (output.type === 'text' || output.type === 'error-text') text += output.value;
      else if (output.type === 'json' || output.type === 'error-json') text += JSON.stringify(output.value);
    }
  }
  return text;
}

/** Tokens of one message by `counter`: its text plus the per-message overhead. */
export function messageTokens(counter: TokenCounter, message: ModelMessage | SystemModelMessage): number {
  return counter.count(wireText(message)) + counter.messageOverhead;
}

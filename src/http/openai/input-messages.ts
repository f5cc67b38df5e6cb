import type { AssistantModelMessage, ModelMessage } from 'ai';
import type { Message } from '../../core/conversations/message.ts';
import { AppError } from '../../core/errors.ts';
import { type InputItem, itemText } from './conversation-items.ts';

function parseArguments(raw: string, param: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${param}.arguments: must be a JSON string`, {
      details: { param: `${param}.arguments` },
    });
  }
}

/** The names of the tool calls stored in these messages, by call id (to name a caller's tool result). */
export function storedCallNames(messages: readonly Message[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const part of message.content) if (part.type === 'tool-call') names.set(part.toolCallId, part.toolName);
  }
  return names;
}

/**
 * A Responses `input` (and `instructions`) as the model messages of a turn, and the text its stored
 * user message shows: `instructions` first as a system message, then each item in order (`system`
 * and `developer` messages as system messages, consecutive `function_call`s as one assistant
 * message, each `function_call_output` as a tool result, named after its call in the input or in
 * `knownCalls`). Text is the only content kind accepted.
 */
export function inputMessages(
  input: string | readonly InputItem[],
  instructions: string | null,
  knownCalls: ReadonlyMap<string, string>,
): { messages: ModelMessage[]; text: string } {
  const messages: ModelMessage[] = instructions ? [{ role: 'system', content: instructions }] : [];
  if (typeof input === 'string') return { messages: [...messages, { role: 'user', content: input }], text: input };
  const names = new Map(knownCalls);
  let text = '';
  let calls: AssistantModelMessage | null = null;
  for (const [index, item] of input.entries()) {
    const param = `input[${index}]`;
    // A response's reasoning handed back with its output: the model does not get reasoning back (as from stored history).
    if (item.type === 'reasoning') continue;
    if (item.type === 'function_call') {
      names.set(item.call_id, item.name);
      const part = {
        type: 'tool-call' as const,
        toolCallId: item.call_id,
        toolName: item.name,
        input: parseArguments(item.arguments, param),
      };
      if (calls && Array.isArray(calls.content)) calls.content.push(part);
      else {
        calls = { role: 'assistant', content: [part] };
        messages.push(calls);
      }
      continue;
    }
    calls = null;
    if (item.type === 'function_call_output') {
      const toolName = names.get(item.call_id);
      if (!toolName) {
        throw new AppError('VALIDATION_FAILED', `${param}.call_id: no function call with this call_id`, {
          details: { param: `${param}.call_id` },
        });
      }
      const value = typeof item.output === 'string' ? item.output : itemText(item.output, param);
      messages.push({
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: item.call_id, toolName, output: { type: 'text', value } }],
      });
      continue;
    }
    const content = itemText(item.content, param);
    if (item.role === 'user') {
      messages.push({ role: 'user', content });
      text = content;
    } else if (item.role === 'assistant') messages.push({ role: 'assistant', content });
    else if (item.role === 'system' || item.role === 'developer') messages.push({ role: 'system', content });
    else {
      throw new AppError('UNSUPPORTED_PARAMETER', `${param}.role: role ${item.role} is not supported`, {
        details: { param: `${param}.role` },
      });
    }
  }
  return { messages, text };
}

import { z } from 'zod';
import type { ContentPart, Message, NewMessage } from '../../core/conversations/message.ts';
import { AppError } from '../../core/errors.ts';
import type { Ids } from '../../core/ids.ts';

/** Output text as OpenAI writes it (no annotations or log probabilities here). */
const outputText = (text: string) => ({ type: 'output_text' as const, text, annotations: [], logprobs: [] });

/** An item of a conversation or a response, in the wire shape (Open Responses `ItemField`). */
export type Item =
  | {
      type: 'message';
      id: string;
      status: 'completed' | 'incomplete' | 'in_progress';
      role: 'user' | 'assistant';
      content: ({ type: 'input_text'; text: string } | ReturnType<typeof outputText>)[];
    }
  | { type: 'reasoning'; id: string; summary: never[]; content: { type: 'reasoning_text'; text: string }[] }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed' | 'incomplete' | 'in_progress';
    }
  | { type: 'function_call_output'; id: string; call_id: string; output: string; status: 'completed' };

/**
 * A message yields one item per part kind: its reasoning (`reasoning`, first), its text (a `message`
 * item with the message's id), each tool call (`function_call`) and each tool result
 * (`function_call_output`), all but the text with the id `<message id>-<part index>`. `messageIdOf` maps any of them back to the message.
 */
export function messageToItems(message: Message): Item[] {
  const status = message.status === 'completed' ? 'completed' : 'incomplete';
  const items: Item[] = [];
  const reasoning: Item[] = [];
  const text = message.content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
  if (message.role === 'user') {
    return [
      { type: 'message', id: message.id, status: 'completed', role: 'user', content: [{ type: 'input_text', text }] },
    ];
  }
  for (const [index, part] of message.content.entries()) {
    if (part.type === 'reasoning') {
      const content = [{ type: 'reasoning_text' as const, text: part.text }];
      reasoning.push({ type: 'reasoning', id: `${message.id}-${index}`, summary: [], content });
    } else if (part.type === 'tool-call') {
      items.push({
        type: 'function_call',
        id: `${message.id}-${index}`,
        call_id: part.toolCallId,
        name: part.toolName,
        arguments: JSON.stringify(part.input ?? {}),
        status,
      });
    } else if (part.type === 'tool-result') {
      items.push({
        type: 'function_call_output',
        id: `${message.id}-${index}`,
        call_id: part.toolCallId,
        output: typeof part.output === 'string' ? part.output : JSON.stringify(part.output),
        status: 'completed',
      });
    }
  }
  if (message.role === 'assistant' && (text.length > 0 || items.length === 0)) {
    items.unshift({ type: 'message', id: message.id, status, role: 'assistant', content: [outputText(text)] });
  }
  return reasoning.length > 0 ? [...reasoning, ...items] : items;
}

/** The message an item id belongs to (message ids hold no `-`). */
export function messageIdOf(itemId: string): string {
  return itemId.split('-')[0] ?? itemId;
}

const textPart = z.object({ type: z.enum(['input_text', 'output_text']), text: z.string() }).loose();

/** Input items Enclave accepts in a conversation: messages of text, function calls and their outputs. */
const typedInputItemSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('message'),
      id: z.string().optional(),
      role: z.string(),
      content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
      status: z.string().nullish(),
    })
    .loose(),
  z
    .object({
      type: z.literal('function_call'),
      id: z.string().nullish(),
      call_id: z.string().min(1).max(64),
      name: z.string().min(1).max(64),
      arguments: z.string(),
      status: z.string().nullish(),
    })
    .loose(),
  // A reasoning item a client hands back with a response's output: accepted, and not sent to the model.
  z
    .object({
      type: z.literal('reasoning'),
      id: z.string().nullish(),
      summary: z.array(z.looseObject({ type: z.string() })).max(100),
      content: z
        .array(z.looseObject({ type: z.string() }))
        .max(100)
        .nullish(),
      encrypted_content: z.string().nullish(),
    })
    .loose(),
  z
    .object({
      type: z.literal('function_call_output'),
      id: z.string().nullish(),
      call_id: z.string().min(1).max(64),
      output: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]),
      status: z.string().nullish(),
    })
    .loose(),
]);

/** An item as clients send it: a message may leave out `type` (OpenAI's "easy input message"). */
export const inputItemSchema = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !('type' in value) && 'role' in value
      ? { ...value, type: 'message' }
      : value,
  typedInputItemSchema,
);

export type InputItem = z.infer<typeof typedInputItemSchema>;

function unsupported(param: string, message: string): AppError {
  return new AppError('UNSUPPORTED_PARAMETER', message, { details: { param } });
}

/** The text of a message item's content; only text parts are accepted. */
export function itemText(content: string | readonly { type: string }[], param: string): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const [index, part] of content.entries()) {
    const parsed = textPart.safeParse(part);
    if (!parsed.success || (part.type !== 'input_text' && part.type !== 'output_text')) {
      throw unsupported(`${param}.content[${index}]`, `content of type ${part.type} is not supported; send text`);
    }
    text += parsed.data.text;
  }
  return text;
}

function parseArguments(raw: string, param: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${param}.arguments: must be a JSON string`, {
      details: { param: `${param}.arguments` },
    });
  }
}

/**
 * Items added to a conversation, as messages to append: a user or assistant `message` of text, a
 * `function_call` (an assistant message with that tool call) and a `function_call_output` (a tool
 * message). Every message is its own turn. Other roles and content kinds are refused, not dropped.
 */
export function itemsToMessages(
  items: readonly InputItem[],
  context: { ids: Ids; userId: string | null; param: string },
): NewMessage[] {
  const names = new Map<string, string>();
  return items.map((item, index): NewMessage => {
    const param = `${context.param}[${index}]`;
    const id = context.ids.next('msg');
    const base = {
      id,
      turnId: id,
      status: 'completed' as const,
      usage: null,
      model: null,
      latencyMs: null,
      requestId: null,
      configVersion: null,
      userId: context.userId,
    };
    if (item.type === 'message') {
      if (item.role !== 'user' && item.role !== 'assistant') {
        throw unsupported(
          `${param}.role`,
          `role ${item.role} is not supported in conversation items; use instructions`,
        );
      }
      const content: ContentPart[] = [{ type: 'text', text: itemText(item.content, param) }];
      return { ...base, role: item.role, content, toolCalls: null, final: item.role === 'assistant' };
    }
    if (item.type === 'reasoning') {
      throw unsupported(`${param}.type`, 'reasoning items cannot be added to a conversation');
    }
    if (item.type === 'function_call') {
      names.set(item.call_id, item.name);
      const call = { toolCallId: item.call_id, toolName: item.name, input: parseArguments(item.arguments, param) };
      return { ...base, role: 'assistant', content: [{ type: 'tool-call', ...call }], toolCalls: [call], final: false };
    }
    const output = typeof item.output === 'string' ? item.output : itemText(item.output, param);
    const part: ContentPart = {
      type: 'tool-result',
      toolCallId: item.call_id,
      toolName: names.get(item.call_id) ?? 'function',
      output,
    };
    return { ...base, role: 'tool', content: [part], toolCalls: null, final: false };
  });
}

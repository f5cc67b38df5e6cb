import { z } from 'zod';
import type { TurnResult } from '../../../core/agents/run-agent.ts';
import type { Usage } from '../../../core/conversations/message.ts';

const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const chatCompletionSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    system_fingerprint: z.string().nullable(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.string().nullable(),
          reasoning_content: z
            .string()
            .optional()
            .describe("The model's reasoning, where it gives it (the DeepSeek and vLLM convention)"),
          tool_calls: z.array(toolCallSchema).optional(),
        }),
        logprobs: z.null(),
        finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']),
      }),
    ),
    usage: usageSchema,
  })
  .meta({ id: 'ChatCompletion' });

export type ChatCompletion = z.infer<typeof chatCompletionSchema>;
type FinishReason = ChatCompletion['choices'][number]['finish_reason'];

/** What identifies a completion on the wire: its id (from the turn), creation time and the model as asked. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

export function completionIdOf(turnId: string): string {
  return `chatcmpl-${turnId}`;
}

export function toUsageWire(usage: Usage): z.infer<typeof usageSchema> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
  };
}

export function finishReasonOf(result: Pick<TurnResult, 'finishReason' | 'pendingToolCalls'>): FinishReason {
  if (result.pendingToolCalls.length > 0) return 'tool_calls';
  if (result.finishReason === 'length') return 'length';
  if (result.finishReason === 'content-filter') return 'content_filter';
  return 'stop';
}

export function toToolCallWire(call: { toolCallId: string; toolName: string; input: unknown }) {
  return {
    id: call.toolCallId,
    type: 'function' as const,
    function: {
      name: call.toolName,
      arguments: typeof call.input === 'string' ? call.input : (JSON.stringify(call.input) ?? '{}'),
    },
  };
}

/**
 * A turn as a `chat.completion`: the text the model wrote across the turn's steps (as the stream
 * sends it), its reasoning as `reasoning_content` when it gave any, the client tool calls it left for the caller, and the turn's usage (server tool steps included).
 */
export function toChatCompletion(identity: CompletionIdentity, result: TurnResult): ChatCompletion {
  let text = '';
  let reasoning = '';
  for (const message of result.messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type === 'text') text += part.text;
      else if (part.type === 'reasoning') reasoning += part.text;
    }
  }
  const toolCalls = result.pendingToolCalls.map(toToolCallWire);
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text.length > 0 || toolCalls.length === 0 ? text : null,
          refusal: null,
          ...(reasoning.length > 0 ? { reasoning_content: reasoning } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(result),
      },
    ],
    usage: toUsageWire(result.usage),
  };
}

/** One `chat.completion.chunk`; with `include_usage` every chunk carries `usage: null` but the last. */
export function chunk(
  identity: CompletionIdentity,
  choice: { delta: Record<string, unknown>; finish_reason: FinishReason | null } | null,
  usage: { include: boolean; value?: z.infer<typeof usageSchema> },
): Record<string, unknown> {
  return {
    id: identity.id,
    object: 'chat.completion.chunk',
    created: identity.created,
    model: identity.model,
    system_fingerprint: null,
    choices: choice ? [{ index: 0, delta: choice.delta, logprobs: null, finish_reason: choice.finish_reason }] : [],
    ...(usage.include ? { usage: usage.value ?? null } : {}),
  };
}

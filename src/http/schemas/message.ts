import { z } from 'zod';
import { DEFAULT_AGENT_ID } from '../../core/agent-catalog/agent.ts';
import type { Message, Usage } from '../../core/conversations/message.ts';

export const usageSchema = z
  .object({ input_tokens: z.number().int(), output_tokens: z.number().int(), total_tokens: z.number().int() })
  .meta({ id: 'Usage' });

const contentPartSchema = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('reasoning'), text: z.string() }),
  z.object({ type: z.literal('tool-call'), toolCallId: z.string(), toolName: z.string(), input: z.unknown() }),
  z.object({
    type: z.literal('tool-result'),
    toolCallId: z.string(),
    toolName: z.string(),
    output: z.unknown(),
    isError: z.boolean().optional(),
  }),
]);

export const messageSchema = z
  .object({
    id: z.string(),
    object: z.literal('message'),
    session_id: z.string(),
    seq: z.number().int(),
    turn_id: z.string(),
    role: z.enum(['user', 'assistant', 'tool']),
    status: z.enum(['completed', 'failed', 'cancelled']),
    content: z.array(contentPartSchema),
    tool_calls: z.array(z.object({ toolCallId: z.string(), toolName: z.string(), input: z.unknown() })).nullable(),
    final: z.boolean(),
    usage: usageSchema.nullable(),
    model: z.string().nullable(),
    latency_ms: z.number().int().nullable(),
    request_id: z.string().nullable(),
    config_version: z.number().int().nullable(),
    agent_id: z
      .string()
      .nullable()
      .describe('The agent that wrote this assistant message (`default` for the default agent); null on other roles'),
    agent_version: z
      .number()
      .int()
      .nullable()
      .describe("The agent's config version that wrote it (equals config_version); null on other roles"),
    created_at: z.string(),
  })
  .meta({ id: 'Message' });

export function toUsageJson(usage: Usage): z.infer<typeof usageSchema> {
  return { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.totalTokens };
}

export function toMessageJson(message: Message): z.infer<typeof messageSchema> {
  return {
    id: message.id,
    object: 'message',
    session_id: message.sessionId,
    seq: message.seq,
    turn_id: message.turnId,
    role: message.role,
    status: message.status,
    content: message.content,
    tool_calls: message.toolCalls,
    final: message.final,
    usage: message.usage ? toUsageJson(message.usage) : null,
    model: message.model,
    latency_ms: message.latencyMs === null ? null : Math.round(message.latencyMs),
    request_id: message.requestId,
    config_version: message.configVersion,
    // Assistant messages stored before agents have no agent id: the default agent wrote them.
    agent_id: message.role === 'assistant' ? (message.agentId ?? DEFAULT_AGENT_ID) : null,
    agent_version: message.role === 'assistant' ? message.configVersion : null,
    created_at: message.createdAt,
  };
}

import type { LanguageModelUsage } from 'ai';
import type { ContentPart, NewMessage, ToolCall, Usage } from '../conversations/message.ts';
import type { Ids } from '../ids.ts';

export function toUsage(usage: LanguageModelUsage | undefined): Usage {
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: usage?.totalTokens ?? inputTokens + outputTokens };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

export interface StepMessageOptions {
  ids: Ids;
  configVersion: number;
  /** The agent whose version `configVersion` is; recorded on assistant messages. */
  agentId?: string;
  /** The end user of the turn, recorded on every message for erasure. */
  userId: string | null;
  turnId: string;
  model: string;
  requestId: string | null;
  latencyMs: number;
}

/** The parts of one model step that a turn keeps: its reasoning, text, tool calls and their outcomes. */
export type StepContent =
  | { type: 'reasoning'; text: string }
  | { type: 'text'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; input: unknown; output: unknown }
  | { type: 'tool-error'; toolCallId: string; toolName: string; input: unknown; error: unknown };

/** One model call of a turn (a step of `streamSteps` or `generateSteps`). */
export interface Step {
  content: readonly StepContent[];
  usage: LanguageModelUsage | undefined;
  /** Why the model call ended, when the provider said (`stop`, `length`, `tool-calls`, …). */
  finishReason?: 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'interrupted' | 'other';
}

/**
 * Turns a turn's steps into messages to persist: per step one assistant message (text and
 * tool calls, with that step's usage) and, when tools ran, one tool message with the results.
 * The last assistant message is the turn's final reply and carries the turn latency.
 */
export function stepsToMessages(steps: readonly Step[], options: StepMessageOptions): NewMessage[] {
  const messages: NewMessage[] = [];
  let finalIndex = -1;
  for (const step of steps) {
    const assistant: ContentPart[] = [];
    const toolCalls: ToolCall[] = [];
    const results: ContentPart[] = [];
    for (const part of step.content) {
      if (part.type === 'text' || part.type === 'reasoning') {
        if (part.text.length > 0) assistant.push({ type: part.type, text: part.text });
      } else if (part.type === 'tool-call') {
        const call = { toolCallId: part.toolCallId, toolName: part.toolName, input: part.input };
        assistant.push({ type: 'tool-call', ...call });
        toolCalls.push(call);
      } else if (part.type === 'tool-result') {
        results.push({
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output: part.output,
        });
      } else if (part.type === 'tool-error') {
        const output = part.error instanceof Error ? part.error.message : String(part.error);
        results.push({
          type: 'tool-result',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          output,
          isError: true,
        });
      }
    }
    finalIndex = messages.length;
    messages.push(
      newMessage(options, 'assistant', assistant, toolCalls.length > 0 ? toolCalls : null, toUsage(step.usage)),
    );
    if (results.length > 0) messages.push(newMessage(options, 'tool', results, null, null));
  }
  const final = messages[finalIndex];
  if (final) {
    final.final = true;
    final.latencyMs = options.latencyMs;
  }
  return messages;
}

export function newMessage(
  options: Pick<StepMessageOptions, 'ids' | 'turnId' | 'model' | 'requestId' | 'configVersion' | 'agentId' | 'userId'>,
  role: NewMessage['role'],
  content: ContentPart[],
  toolCalls: ToolCall[] | null,
  usage: Usage | null,
): NewMessage {
  return {
    id: options.ids.next('msg'),
    turnId: options.turnId,
    role,
    status: 'completed',
    content,
    toolCalls,
    final: false,
    usage,
    model: role === 'assistant' ? options.model : null,
    latencyMs: null,
    requestId: options.requestId,
    configVersion: role === 'assistant' ? options.configVersion : null,
    agentId: role === 'assistant' ? (options.agentId ?? null) : null,
    userId: options.userId,
  };
}

import type { Usage } from '../../core/conversations/message.ts';
import type { ResponseSettings } from '../../core/responses/stored-response.ts';
import type { ItemField, ResponseResource } from './open-responses-schema.ts';

/** A response id is its turn id with `resp_` for `msg_`: the same ULID, no lookup table. */
export function responseIdOf(turnId: string): string {
  return turnId.replace(/^msg_/, 'resp_');
}

/** The turn of a response id; null for a string that is not one (answered as a missing response). */
export function turnIdOf(responseId: string): string | null {
  return /^resp_[0-9A-Z]{26}$/.test(responseId) ? `msg_${responseId.slice(5)}` : null;
}

/** The id of output item `index` of a response, the same streamed and stored. */
export function outputItemId(turnId: string, index: number): string {
  return `${turnId}-r${index}`;
}

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export interface ResponseView {
  turnId: string;
  settings: ResponseSettings;
  previousTurnId: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  status: ResponseStatus;
  output: ItemField[];
  usage: Usage | null;
  error: { code: string; message: string } | null;
  completedAt: number | null;
}

export function toUsageJson(usage: Usage): NonNullable<ResponseResource['usage']> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

/** The response object of the spec from what Enclave keeps; unset sampling values show OpenAI's defaults. */
export function toResponseResource(view: ResponseView): ResponseResource {
  const { settings } = view;
  return {
    id: responseIdOf(view.turnId),
    object: 'response',
    created_at: Math.floor(view.createdAt / 1000),
    completed_at: view.completedAt === null ? null : Math.floor(view.completedAt / 1000),
    status: view.status,
    incomplete_details: null,
    model: settings.model,
    previous_response_id: view.previousTurnId === null ? null : responseIdOf(view.previousTurnId),
    instructions: settings.instructions,
    output: view.output,
    error: view.error,
    tools: settings.tools,
    tool_choice: (settings.tool_choice ?? 'auto') as ResponseResource['tool_choice'],
    truncation: 'disabled',
    parallel_tool_calls: settings.parallel_tool_calls,
    text: (settings.text ?? { format: { type: 'text' } }) as ResponseResource['text'],
    top_p: settings.top_p ?? 1,
    presence_penalty: 0,
    frequency_penalty: 0,
    top_logprobs: 0,
    temperature: settings.temperature ?? 1,
    reasoning: null,
    usage: view.usage ? toUsageJson(view.usage) : null,
    max_output_tokens: settings.max_output_tokens,
    max_tool_calls: null,
    store: settings.store,
    background: settings.background,
    service_tier: 'default',
    metadata: settings.metadata,
    safety_identifier: null,
    prompt_cache_key: null,
  };
}

/** The names of the client-side function tools a response offered. */
export function clientToolNames(settings: ResponseSettings): Set<string> {
  const names = new Set<string>();
  for (const tool of settings.tools) {
    const name = (tool as { name?: unknown }).name;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}

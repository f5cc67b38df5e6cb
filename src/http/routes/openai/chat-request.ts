import type { ModelMessage } from 'ai';
import { z } from 'zod';
import type { CallSettings, ClientTool, TurnToolChoice } from '../../../core/agents/turn-input.ts';
import { AppError } from '../../../core/errors.ts';

const text = z.string().max(1_000_000);
const textPart = z.object({ type: z.literal('text'), text }).loose();
/** Message content: a string, or parts; only text parts are taken (others are refused by `toModelMessages`). */
const content = z.union([text, z.array(z.looseObject({ type: z.string() })).max(1_000)]);

const toolCall = z
  .object({
    id: z.string().min(1).max(256),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1).max(128), arguments: z.string().max(1_000_000) }).loose(),
  })
  .loose();

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content, name: z.string().optional() }).loose(),
  z.object({ role: z.literal('developer'), content, name: z.string().optional() }).loose(),
  z.object({ role: z.literal('user'), content, name: z.string().optional() }).loose(),
  z
    .object({
      role: z.literal('assistant'),
      content: content.nullable().optional(),
      refusal: z.string().nullable().optional(),
      tool_calls: z.array(toolCall).max(128).optional(),
      name: z.string().optional(),
    })
    .loose(),
  z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1).max(256) }).loose(),
]);

const functionTool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 letters, digits, _ or -'),
        description: z.string().max(10_000).optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .loose(),
  })
  .loose();

/** The Chat Completions request body as Enclave takes it; fields outside it are refused (see `REFUSED`). */
export const chatRequestSchema = z
  .object({
    model: z.string().min(1).max(256).describe('An agent of your tenant (id or name, `default`), or `provider/model`.'),
    messages: z.array(message).min(1).max(10_000),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    max_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(1_000_000).nullable().optional(),
    stop: z
      .union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().nullable().optional(),
    user: z.string().max(128).optional().describe('The end user: recorded on the usage record, and erased with them.'),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }).loose(),
        z.object({ type: z.literal('json_object') }).loose(),
        z
          .object({
            type: z.literal('json_schema'),
            json_schema: z
              .object({
                name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
                description: z.string().max(10_000).optional(),
                schema: z.record(z.string(), z.unknown()).optional(),
                strict: z.boolean().nullable().optional(),
              })
              .loose(),
          })
          .loose(),
      ])
      .optional(),
    tools: z.array(functionTool).max(128).optional(),
    tool_choice: z
      .union([
        z.enum(['none', 'auto', 'required']),
        z
          .object({ type: z.literal('function'), function: z.object({ name: z.string().min(1).max(64) }).loose() })
          .loose(),
      ])
      .optional(),
    parallel_tool_calls: z.boolean().optional(),
    store: z.boolean().nullable().optional().describe('Also keep the call as a session (shown in the console).'),
    metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
    n: z.number().int().nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    modalities: z.array(z.string()).nullable().optional(),
  })
  .loose();

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** Parameters of OpenAI's API that Enclave refuses (400 UNSUPPORTED_PARAMETER) rather than ignore. */
export const REFUSED_PARAMETERS = [
  'audio',
  'function_call',
  'functions',
  'logit_bias',
  'prediction',
  'prompt_cache_key',
  'reasoning_effort',
  'service_tier',
  'top_logprobs',
  'verbosity',
  'web_search_options',
] as const;

const KNOWN = new Set(Object.keys(chatRequestSchema.shape));

function refuse(param: string, message: string): AppError {
  return new AppError('UNSUPPORTED_PARAMETER', message, { details: { param } });
}

/**
 * Refuses what Enclave would otherwise have to ignore: parameters it does not implement, more than
 * one choice, audio, log probabilities, a second choice of modality. Null values count as absent, as
 * the SDKs send them so.
 */
export function refuseUnsupported(body: ChatRequest): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined || KNOWN.has(key)) continue;
    throw refuse(key, `${key} is not supported by this server (see docs/openai-compatibility.md)`);
  }
  if (body.n != null && body.n !== 1) throw refuse('n', 'Only n = 1 is supported: one choice per request');
  if (body.logprobs) throw refuse('logprobs', 'logprobs is not supported by this server');
  if (body.modalities?.some((modality) => modality !== 'text')) {
    throw refuse('modalities', 'Only the text modality is supported');
  }
  if (body.parallel_tool_calls === false) {
    throw refuse(
      'parallel_tool_calls',
      'parallel_tool_calls: false is not supported; the model may call tools in parallel',
    );
  }
  if (body.stream_options && !body.stream) {
    throw new AppError('VALIDATION_FAILED', 'stream_options is only allowed with stream: true', {
      details: { param: 'stream_options' },
    });
  }
}

/** The text of a content value; a part other than text is refused (images, audio and files are not supported). */
function textOf(value: z.infer<typeof content> | null | undefined, param: string): string {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  return value
    .map((part, index) => {
      const parsed = textPart.safeParse(part);
      if (!parsed.success) {
        throw refuse(`${param}[${index}]`, `Content parts of type ${part.type} are not supported; send text`);
      }
      return parsed.data.text;
    })
    .join('');
}

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // Sent back as the model wrote it: the provider sees the same text.
    return raw;
  }
}

/** The caller's messages as AI SDK model messages; the name of a tool result's tool comes from its call. */
export function toModelMessages(messages: ChatRequest['messages']): ModelMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((entry, index): ModelMessage => {
    const param = `messages[${index}].content`;
    switch (entry.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: textOf(entry.content, param) };
      case 'user':
        return { role: 'user', content: textOf(entry.content, param) };
      case 'assistant': {
        const parts: Exclude<Extract<ModelMessage, { role: 'assistant' }>['content'], string> = [];
        const said = textOf(entry.content, param);
        if (said) parts.push({ type: 'text', text: said });
        for (const call of entry.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          parts.push({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.function.name,
            input: parseArguments(call.function.arguments),
          });
        }
        return { role: 'assistant', content: parts };
      }
      default: {
        // role: tool
        const toolName = toolNames.get(entry.tool_call_id);
        if (toolName === undefined) {
          throw new AppError(
            'VALIDATION_FAILED',
            `messages[${index}].tool_call_id: no earlier assistant message made the call ${entry.tool_call_id}`,
            {
              details: { param: `messages[${index}].tool_call_id` },
            },
          );
        }
        return {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: entry.tool_call_id,
              toolName,
              output: { type: 'text', value: textOf(entry.content, param) },
            },
          ],
        };
      }
    }
  });
}

/** The text a stored session shows as the call's user message: the last user message's. */
export function lastUserText(messages: ChatRequest['messages']): string {
  const last = messages.findLast((entry) => entry.role === 'user');
  return last ? textOf(last.content, 'messages') : '';
}

export function clientToolsOf(body: ChatRequest): ClientTool[] {
  return (body.tools ?? []).map((entry) => ({
    name: entry.function.name,
    ...(entry.function.description ? { description: entry.function.description } : {}),
    parameters: entry.function.parameters ?? { type: 'object', properties: {} },
    ...(entry.function.strict != null ? { strict: entry.function.strict } : {}),
  }));
}

export function callSettingsOf(body: ChatRequest): CallSettings {
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const stop = body.stop == null ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  const format = body.response_format;
  const choice = body.tool_choice;
  if (
    choice &&
    typeof choice !== 'string' &&
    !(body.tools ?? []).some((entry) => entry.function.name === choice.function.name)
  ) {
    throw new AppError(
      'VALIDATION_FAILED',
      `tool_choice names the function ${choice.function.name}, which tools does not declare`,
      {
        details: { param: 'tool_choice' },
      },
    );
  }
  const toolChoice: TurnToolChoice | undefined =
    choice === undefined ? undefined : typeof choice === 'string' ? choice : { toolName: choice.function.name };
  return {
    ...(body.temperature != null ? { temperature: body.temperature } : {}),
    ...(body.top_p != null ? { topP: body.top_p } : {}),
    ...(body.presence_penalty != null ? { presencePenalty: body.presence_penalty } : {}),
    ...(body.frequency_penalty != null ? { frequencyPenalty: body.frequency_penalty } : {}),
    ...(maxTokens != null ? { maxOutputTokens: maxTokens } : {}),
    ...(stop?.length ? { stopSequences: stop } : {}),
    ...(body.seed != null ? { seed: body.seed } : {}),
    ...(format?.type === 'json_object' ? { responseFormat: { type: 'json' as const } } : {}),
    ...(format?.type === 'json_schema'
      ? {
          responseFormat: {
            type: 'json' as const,
            name: format.json_schema.name,
            ...(format.json_schema.description ? { description: format.json_schema.description } : {}),
            ...(format.json_schema.schema ? { schema: format.json_schema.schema } : {}),
            ...(format.json_schema.strict != null ? { strict: format.json_schema.strict } : {}),
          },
        }
      : {}),
    ...(toolChoice ? { toolChoice } : {}),
  };
}

import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { ResponseSettings } from '../../core/responses/stored-response.ts';
import { inputItemSchema } from './conversation-items.ts';
import { metadataSchema, openAiIdSchema } from './conversation-json.ts';

export const functionToolSchema = z
  .object({
    type: z.literal('function'),
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a function name'),
    description: z.string().max(4096).nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  })
  .strict();

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), name: z.string() }).strict(),
]);

const textSchema = z
  .object({
    format: z
      .union([
        z.object({ type: z.literal('text') }).strict(),
        z.object({ type: z.literal('json_object') }).strict(),
        z
          .object({
            type: z.literal('json_schema'),
            name: z.string().max(64),
            schema: z.record(z.string(), z.unknown()),
            description: z.string().nullish(),
            strict: z.boolean().nullish(),
          })
          .strict(),
      ])
      .optional(),
    verbosity: z.enum(['low', 'medium', 'high']).nullish(),
  })
  .strict();

/**
 * `POST /v1/responses` as Enclave accepts it (docs/openai-responses.md#parameters). A parameter
 * Enclave cannot honour is refused (400 UNSUPPORTED_PARAMETER), never ignored; one it
 * does not know at all fails validation (422).
 */
export const createResponseBodySchema = z
  .object({
    model: z.string().min(1).max(200).optional(),
    input: z.union([z.string().max(1_000_000), z.array(inputItemSchema).max(500)]).optional(),
    instructions: z.string().max(100_000).nullish(),
    previous_response_id: openAiIdSchema.nullish(),
    conversation: z.union([openAiIdSchema, z.object({ id: openAiIdSchema }).strict()]).nullish(),
    store: z.boolean().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_obfuscation: z.boolean().optional() }).strict().nullish(),
    background: z.boolean().nullish(),
    metadata: metadataSchema.nullish(),
    tools: z
      .array(z.looseObject({ type: z.string() }))
      .max(128)
      .nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    max_output_tokens: z.number().int().min(1).nullish(),
    text: textSchema.nullish(),
    truncation: z.enum(['auto', 'disabled']).nullish(),
    user: z.string().max(256).nullish(),
    safety_identifier: z.string().max(64).nullish(),
    prompt_cache_key: z.string().max(64).nullish(),
    service_tier: z.enum(['auto', 'default']).nullish(),
    // Refused unless empty or null (see `refuseUnsupported`).
    include: z.array(z.string()).nullish(),
    reasoning: z.looseObject({}).nullish(),
    top_logprobs: z.number().int().nullish(),
    max_tool_calls: z.number().int().nullish(),
    prompt: z.unknown().optional(),
  })
  .strict();

export type CreateResponseBody = z.infer<typeof createResponseBodySchema>;

function unsupported(param: string, message: string): AppError {
  return new AppError('UNSUPPORTED_PARAMETER', message, { details: { param } });
}

/** Refuses what Enclave would otherwise have to ignore. */
export function refuseUnsupported(body: CreateResponseBody): void {
  if (body.include && body.include.length > 0) throw unsupported('include', 'include is not supported');
  if (body.reasoning && Object.values(body.reasoning).some((value) => value != null)) {
    throw unsupported('reasoning', 'reasoning settings are not supported; the agent’s model decides');
  }
  if (body.top_logprobs) throw unsupported('top_logprobs', 'log probabilities are not supported');
  if (body.max_tool_calls != null) throw unsupported('max_tool_calls', 'max_tool_calls is not supported');
  if (body.prompt != null) throw unsupported('prompt', 'stored prompts are not supported');
  if (body.conversation != null && body.previous_response_id != null) {
    throw new AppError('VALIDATION_FAILED', 'conversation and previous_response_id cannot be used together', {
      details: { param: 'previous_response_id' },
    });
  }
  if (body.background && body.store === false) {
    throw unsupported('store', 'a background response must be stored (store: true)');
  }
  for (const [index, tool] of (body.tools ?? []).entries()) {
    if (tool.type !== 'function') {
      throw unsupported(`tools[${index}].type`, `tools of type ${tool.type} are not supported; use function tools`);
    }
    const parsed = functionToolSchema.safeParse(tool);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', `tools[${index}]: ${parsed.error.issues[0]?.message ?? 'is invalid'}`, {
        details: { param: `tools[${index}]` },
      });
    }
  }
}

/** The settings a stored response repeats, from the request. */
export function responseSettingsOf(body: CreateResponseBody, model: string): ResponseSettings {
  return {
    model,
    instructions: body.instructions ?? null,
    metadata: body.metadata ?? {},
    tools: (body.tools ?? []).map((tool) => ({ strict: true, description: null, parameters: null, ...tool })),
    tool_choice: body.tool_choice ?? 'auto',
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    text: { format: body.text?.format ?? { type: 'text' }, verbosity: body.text?.verbosity ?? 'medium' },
    background: body.background ?? false,
    store: body.store ?? true,
  };
}

/** The settings of a request that sets nothing but its input. */
export function defaultResponseSettings(): ResponseSettings {
  return responseSettingsOf({}, 'default');
}

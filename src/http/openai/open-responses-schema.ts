import { z } from 'zod';

/**
 * A zod port of the Open Responses specification's response object, output items and streaming
 * events (https://www.openresponses.org, github.com/openresponses/openresponses), as far as
 * Enclave emits them. Source: `schema/responses.tsp` (commit 1e33c10), `schema/items.tsp`
 * (commit 2976c6b) and `schema/events.tsp` (commit 3533b21); spec version 2026-04-24 (the newest
 * `x-openresponses-added-in` there). Fields the spec requires are required here, so a test that
 * parses every streamed event with `responseStreamEventSchema` fails on a missing one.
 *
 * Reasoning events are named as the spec's published JSON schema names them
 * (`schema/components/schemas/ResponseReasoningDeltaStreamingEvent.json`, commit cb2b1f8:
 * `response.reasoning_text.delta` and `.done`), which is also OpenAI's name and what the `openai`
 * SDK's stream accumulator reads; `events.tsp` still spells them `response.reasoning.delta`.
 */
export const OPEN_RESPONSES_SPEC_VERSION = '2026-04-24';

const integer = z.number().int();

export const outputTextContentSchema = z.object({
  type: z.literal('output_text'),
  text: z.string(),
  annotations: z.array(z.unknown()),
  logprobs: z.array(z.unknown()).optional(),
});

/** `ReasoningTextContent`: a reasoning item's content part. */
export const reasoningTextContentSchema = z.object({ type: z.literal('reasoning_text'), text: z.string() });

const inputTextContentSchema = z.object({ type: z.literal('input_text'), text: z.string() });

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']);

export const messageItemSchema = z.object({
  type: z.literal('message'),
  id: z.string(),
  status: itemStatus,
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.array(z.discriminatedUnion('type', [outputTextContentSchema, inputTextContentSchema])),
});

export const functionCallItemSchema = z.object({
  type: z.literal('function_call'),
  id: z.string(),
  call_id: z.string(),
  name: z.string(),
  arguments: z.string(),
  status: itemStatus,
});

export const functionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  id: z.string(),
  call_id: z.string(),
  output: z.union([z.string(), z.array(z.unknown())]),
  status: itemStatus,
});

export const reasoningItemSchema = z.object({
  type: z.literal('reasoning'),
  id: z.string(),
  content: z.array(reasoningTextContentSchema).optional(),
  summary: z.array(z.unknown()),
  encrypted_content: z.string().optional(),
});

/** `ItemField`: what `output` and `output_item.*` events carry. */
export const itemFieldSchema = z.discriminatedUnion('type', [
  messageItemSchema,
  functionCallItemSchema,
  functionCallOutputItemSchema,
  reasoningItemSchema,
]);

const usageSchema = z.object({
  input_tokens: integer,
  output_tokens: integer,
  total_tokens: integer,
  input_tokens_details: z.object({ cached_tokens: integer }),
  output_tokens_details: z.object({ reasoning_tokens: integer }),
});

/** `ResponseResource`: the response object. */
export const responseResourceSchema = z.object({
  id: z.string(),
  object: z.literal('response'),
  created_at: integer,
  completed_at: integer.nullable(),
  status: z.string(),
  incomplete_details: z.object({ reason: z.string() }).nullable(),
  model: z.string(),
  previous_response_id: z.string().nullable(),
  instructions: z.string().nullable(),
  output: z.array(itemFieldSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  tools: z.array(z.unknown()),
  tool_choice: z.union([z.string(), z.object({ type: z.string() }).loose()]),
  truncation: z.enum(['auto', 'disabled']),
  parallel_tool_calls: z.boolean(),
  text: z.object({ format: z.object({ type: z.string() }).loose() }).loose(),
  top_p: z.number(),
  presence_penalty: z.number(),
  frequency_penalty: z.number(),
  top_logprobs: integer,
  temperature: z.number(),
  reasoning: z.object({}).loose().nullable(),
  usage: usageSchema.nullable(),
  max_output_tokens: integer.nullable(),
  max_tool_calls: integer.nullable(),
  store: z.boolean(),
  background: z.boolean(),
  service_tier: z.string(),
  metadata: z.unknown(),
  safety_identifier: z.string().nullable(),
  prompt_cache_key: z.string().nullable(),
});

export type ResponseResource = z.infer<typeof responseResourceSchema>;
export type ItemField = z.infer<typeof itemFieldSchema>;

const sequenced = { sequence_number: integer };
const itemPosition = { ...sequenced, item_id: z.string(), output_index: integer };
const lifecycle = <T extends string>(type: T) =>
  z.object({ type: z.literal(type), ...sequenced, response: responseResourceSchema });

/** Every streaming event Enclave emits, as the spec defines it. */
export const responseStreamEventSchema = z.discriminatedUnion('type', [
  lifecycle('response.created'),
  lifecycle('response.queued'),
  lifecycle('response.in_progress'),
  lifecycle('response.completed'),
  lifecycle('response.failed'),
  lifecycle('response.incomplete'),
  z.object({
    type: z.literal('response.output_item.added'),
    ...sequenced,
    output_index: integer,
    item: itemFieldSchema.nullable(),
  }),
  z.object({
    type: z.literal('response.output_item.done'),
    ...sequenced,
    output_index: integer,
    item: itemFieldSchema.nullable(),
  }),
  z.object({
    type: z.literal('response.content_part.added'),
    ...itemPosition,
    content_index: integer,
    part: z.discriminatedUnion('type', [outputTextContentSchema, reasoningTextContentSchema]),
  }),
  z.object({
    type: z.literal('response.content_part.done'),
    ...itemPosition,
    content_index: integer,
    part: z.discriminatedUnion('type', [outputTextContentSchema, reasoningTextContentSchema]),
  }),
  z.object({
    type: z.literal('response.output_text.delta'),
    ...itemPosition,
    content_index: integer,
    delta: z.string(),
    logprobs: z.array(z.unknown()).optional(),
  }),
  z.object({
    type: z.literal('response.output_text.done'),
    ...itemPosition,
    content_index: integer,
    text: z.string(),
    logprobs: z.array(z.unknown()).optional(),
  }),
  z.object({
    type: z.literal('response.reasoning_text.delta'),
    ...itemPosition,
    content_index: integer,
    delta: z.string(),
  }),
  z.object({
    type: z.literal('response.reasoning_text.done'),
    ...itemPosition,
    content_index: integer,
    text: z.string(),
  }),
  z.object({ type: z.literal('response.function_call_arguments.delta'), ...itemPosition, delta: z.string() }),
  z.object({
    type: z.literal('response.function_call_arguments.done'),
    ...itemPosition,
    arguments: z.string(),
  }),
]);

export type ResponseStreamEvent = z.infer<typeof responseStreamEventSchema>;

import { getResponseMetadata, mapOpenAICompatibleFinishReason } from '@ai-sdk/openai-compatible/internal';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import type { ProviderUtils } from './provider-package.ts';

type Part = LanguageModelV4StreamPart;
type Enqueue = (part: Part) => void;
type FinishReason = Extract<Part, { type: 'finish' }>['finishReason'];

/** A parsed chunk as the package's `safeParseJSON` gives it: the chunk, or why it is not one. */
export type ParsedChunk = { success: true; value: ChatChunk } | { success: false; error: unknown };

interface ToolCallDelta {
  index?: number | null;
  id?: string | null;
  function: { name?: string | null; arguments?: string | null };
  extra_content?: { google?: { thought_signature?: string | null } | null } | null;
}

interface ChatChunk {
  id?: string | null;
  created?: number | null;
  model?: string | null;
  error?: unknown;
  usage?: Record<string, unknown> | null;
  choices: {
    finish_reason?: string | null;
    delta?: {
      content?: string | { type: string; text?: unknown; thinking?: unknown }[] | null;
      refusal?: unknown;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: ToolCallDelta[] | null;
    } | null;
  }[];
}

export interface ChatChunkPartsOptions {
  utils: Pick<ProviderUtils, 'StreamingToolCallTracker' | 'generateId'>;
  /** The key of the provider's metadata (`providerMetadata[key]`), as the package resolves it. */
  metadataKey: string;
  /** The model's usage conversion (its config's, else the package's default). */
  convertUsage(usage: unknown): Extract<Part, { type: 'finish' }>['usage'];
  /** An error for a stream that ends without a finish reason (the package's InvalidResponseDataError). */
  missingFinish(): unknown;
}

/**
 * The stream parts of an OpenAI-compatible chat completion stream, chunk by chunk: the same parts,
 * in the same order, as the transform inside `@ai-sdk/openai-compatible`'s chat model `doStream`
 * (a port of it, kept equal by lean-chat-model.test.ts), without a stream stage of its own.
 * `start` gives the `stream-start` part, `push` each chunk's parts, `finish` the closing ones.
 */
export function chatChunkParts(options: ChatChunkPartsOptions, enqueue: Enqueue) {
  const { utils, metadataKey } = options;
  const tracker = new utils.StreamingToolCallTracker(
    { enqueue } as ConstructorParameters<ProviderUtils['StreamingToolCallTracker']>[0],
    {
      generateId: utils.generateId,
      extractMetadata: (delta: ToolCallDelta) => {
        const thoughtSignature = delta.extra_content?.google?.thought_signature;
        return thoughtSignature ? { [metadataKey]: { thoughtSignature } } : undefined;
      },
      buildToolCallProviderMetadata: (metadata: unknown) => metadata,
    } as ConstructorParameters<ProviderUtils['StreamingToolCallTracker']>[1],
  );
  const pendingToolCalls = new Map<number, { id: string | null; bufferedArguments: string; extraContent: unknown }>();
  const forwardedToolCallIndices = new Set<number>();
  let finishReason: FinishReason | undefined;
  let rawFinishReason: string | undefined;
  let usage: Record<string, unknown> | undefined;
  let isFirstChunk = true;
  let hasRefusal = false;

  const processToolCallDelta = (delta: ToolCallDelta): void => {
    const index = delta.index;
    if (index == null || forwardedToolCallIndices.has(index)) {
      tracker.processDelta(delta as never);
      return;
    }
    let pending = pendingToolCalls.get(index);
    if (pending == null) {
      pending = { id: delta.id ?? null, bufferedArguments: '', extraContent: delta.extra_content ?? null };
      pendingToolCalls.set(index, pending);
    } else {
      if (pending.id == null && delta.id != null) pending.id = delta.id;
      if (pending.extraContent == null && delta.extra_content != null) pending.extraContent = delta.extra_content;
    }
    const argumentsDelta = delta.function?.arguments;
    if (argumentsDelta != null) pending.bufferedArguments += argumentsDelta;
    const name = delta.function?.name;
    if (name != null) {
      tracker.processDelta({
        index,
        id: pending.id,
        function: { name, arguments: pending.bufferedArguments },
        extra_content: pending.extraContent ?? undefined,
      } as never);
      pendingToolCalls.delete(index);
      forwardedToolCallIndices.add(index);
    }
  };
  // Text and reasoning take turns: the open one of the other kind ends before a delta starts its own.
  let active: 'text' | 'reasoning' | null = null;
  const BLOCK = { text: 'txt-0', reasoning: 'reasoning-0' } as const;
  const endActive = (): void => {
    if (active) enqueue({ type: `${active}-end`, id: BLOCK[active] });
    active = null;
  };
  const delta = (kind: 'text' | 'reasoning', text: string): void => {
    if (active !== kind) {
      endActive();
      enqueue({ type: `${kind}-start`, id: BLOCK[kind] });
      active = kind;
    }
    enqueue({ type: `${kind}-delta`, id: BLOCK[kind], delta: text });
  };
  const reasoningDelta = (text: string): void => delta('reasoning', text);
  const textDelta = (text: string): void => delta('text', text);

  return {
    start(warnings: Extract<Part, { type: 'stream-start' }>['warnings']): void {
      enqueue({ type: 'stream-start', warnings });
    },
    push(chunk: ParsedChunk): void {
      if (!chunk.success) {
        finishReason = { unified: 'error', raw: undefined };
        enqueue({ type: 'error', error: chunk.error });
        return;
      }
      const value = chunk.value;
      if ('error' in value) {
        finishReason = { unified: 'error', raw: undefined };
        enqueue({ type: 'error', error: value.error });
        return;
      }
      if (isFirstChunk) {
        isFirstChunk = false;
        enqueue({ type: 'response-metadata', ...getResponseMetadata(value) });
      }
      if (value.usage != null) usage = value.usage;
      const choice = value.choices[0];
      if (choice?.finish_reason != null) rawFinishReason = choice.finish_reason;
      const delta = choice?.delta;
      if (delta == null) return;
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) reasoningDelta(reasoning);
      for (const part of contentParts(delta.content)) {
        if (part.type === 'reasoning') reasoningDelta(part.text);
        else textDelta(part.text);
      }
      // The schema keeps a string refusal only (some servers send `false`).
      const refusal = typeof delta.refusal === 'string' ? delta.refusal : undefined;
      if (refusal != null && refusal.length > 0) {
        hasRefusal = true;
        textDelta(refusal);
      }
      if (delta.tool_calls != null && delta.tool_calls.length > 0) {
        if (active === 'reasoning') endActive();
        for (const toolCallDelta of delta.tool_calls) processToolCallDelta(toolCallDelta);
      }
    },
    finish(): void {
      endActive();
      for (const [index, pending] of pendingToolCalls) {
        tracker.processDelta({ index, id: pending.id, function: { arguments: pending.bufferedArguments } } as never);
      }
      pendingToolCalls.clear();
      tracker.flush();
      if (rawFinishReason != null) {
        finishReason = {
          unified: mapOpenAICompatibleFinishReason(rawFinishReason, { hasRefusal }),
          raw: rawFinishReason,
        };
      }
      if (finishReason == null) {
        finishReason = { unified: 'error', raw: undefined };
        enqueue({ type: 'error', error: options.missingFinish() });
      }
      const details = usage?.completion_tokens_details as Record<string, unknown> | null | undefined;
      const metadata: Record<string, unknown> = {};
      if (details?.accepted_prediction_tokens != null)
        metadata.acceptedPredictionTokens = details.accepted_prediction_tokens;
      if (details?.rejected_prediction_tokens != null)
        metadata.rejectedPredictionTokens = details.rejected_prediction_tokens;
      enqueue({
        type: 'finish',
        finishReason,
        usage: options.convertUsage(usage),
        providerMetadata: { [metadataKey]: metadata } as never,
      });
    },
  };
}

/** The text and reasoning of a delta's `content`: a string, or parts (`text`, and `thinking` lists). */
function contentParts(
  content: NonNullable<ChatChunk['choices'][number]['delta']>['content'],
): { type: 'text' | 'reasoning'; text: string }[] {
  if (content == null) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const parts: { type: 'text' | 'reasoning'; text: string }[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') {
      if (part.text.length > 0) parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'thinking' && Array.isArray(part.thinking)) {
      const text = part.thinking
        .filter(
          (chunk: unknown) =>
            chunk != null &&
            typeof chunk === 'object' &&
            'type' in chunk &&
            chunk.type === 'text' &&
            'text' in chunk &&
            typeof chunk.text === 'string',
        )
        .map((chunk: { text: string }) => chunk.text)
        .join('');
      if (text.length > 0) parts.push({ type: 'reasoning', text });
    }
  }
  return parts;
}

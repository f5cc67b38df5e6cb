import type { OpenAICompatibleChatLanguageModel } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4, LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { resolveLanguageModel } from 'ai/internal';
import { toV3Prompt } from '../stream-v3-model.ts';
import { type BodyContext, bodyReadError } from './body-read-error.ts';
import { chatChunkParts, type ParsedChunk } from './chat-chunk-parts.ts';
import { isPlainChatChunk } from './plain-chat-chunk.ts';
import type { ProviderPackage } from './provider-package.ts';

type Part = LanguageModelV4StreamPart;
type StreamResult = Awaited<ReturnType<LanguageModelV4['doStream']>>;

/**
 * The members of the package's chat model the lean stream calls. They are private in its types,
 * so their presence is checked at run time: a package version without them streams as before.
 */
interface ChatModelInternals {
  modelId: string;
  config: {
    url(options: { path: string; modelId: string }): string;
    headers(): Record<string, string | undefined>;
    fetch?: typeof globalThis.fetch;
    includeUsage?: boolean;
    metadataExtractor?: unknown;
  };
  failedResponseHandler: unknown;
  chunkSchema: unknown;
  getArgs(options: unknown): Promise<{ args: Record<string, unknown>; warnings: unknown[]; metadataKey: string }>;
  transformRequestBody(args: Record<string, unknown>, warnings: unknown[]): Record<string, unknown>;
  convertUsage(usage: unknown): Extract<Part, { type: 'finish' }>['usage'];
}

/**
 * An OpenAI-compatible chat model whose streamed calls skip the package's stream pipeline. Its
 * `doStream` builds the request with the package's own code (the same body and headers), sends it
 * the same way (`postJsonToApi`, the model's error handler and `fetch`), then reads the SSE body in
 * one pulled stream: each event is parsed once (the package's `secureJsonParse`), a usual chunk
 * skips zod (checked by hand; any other goes through the package's schema) and becomes the same
 * parts, in the same order, as the package's transform gives. The package runs five web-stream
 * stages per chunk (text decoding, SSE parsing, JSON and schema, its transform, then the AI SDK's
 * V3 → V4 conversion): they were the largest share of a streamed turn's CPU after socket writes.
 * `doGenerate`, and the calls the lean path does not cover (raw chunks, a metadata extractor), go
 * to the package's model unchanged.
 */
export function leanChatModel(model: OpenAICompatibleChatLanguageModel, pkg: ProviderPackage): LanguageModelV4 {
  const standard = resolveLanguageModel(model) as LanguageModelV4;
  const inner = model as unknown as ChatModelInternals;
  if (!hasInternals(inner)) return standard;
  return {
    specificationVersion: 'v4',
    provider: model.provider,
    modelId: model.modelId,
    get supportedUrls() {
      return standard.supportedUrls;
    },
    doGenerate: (options) => standard.doGenerate(options),
    doStream: (options) => (coversCall(inner, options) ? leanStream(inner, pkg, options) : standard.doStream(options)),
  };
}

function hasInternals(model: ChatModelInternals): boolean {
  const { config } = model;
  return (
    typeof model.getArgs === 'function' &&
    typeof model.transformRequestBody === 'function' &&
    typeof model.convertUsage === 'function' &&
    typeof model.failedResponseHandler === 'function' &&
    model.chunkSchema != null &&
    typeof config?.url === 'function' &&
    typeof config.headers === 'function'
  );
}

/** Calls the lean path covers: any, but those asking for raw chunks or with a metadata extractor. */
function coversCall(model: ChatModelInternals, options: LanguageModelV4CallOptions): boolean {
  return !options.includeRawChunks && !model.config.metadataExtractor;
}

async function leanStream(
  model: ChatModelInternals,
  pkg: ProviderPackage,
  options: LanguageModelV4CallOptions,
): Promise<StreamResult> {
  const { utils } = pkg;
  // The package implements the v3 interface: the prompt in its v3 form, as `ai`'s adapter would pass it.
  const { args, warnings, metadataKey } = await model.getArgs({ ...options, prompt: toV3Prompt(options.prompt) });
  const body = model.transformRequestBody(
    {
      ...args,
      stream: true,
      // As the package does: stream_options only in its strict compatibility mode.
      stream_options: model.config.includeUsage ? { include_usage: true } : undefined,
    },
    warnings,
  );
  const url = model.config.url({ path: '/chat/completions', modelId: model.modelId });
  const { value: answer } = await utils.postJsonToApi({
    url,
    headers: utils.combineHeaders(model.config.headers(), options.headers),
    body,
    failedResponseHandler: model.failedResponseHandler as never,
    successfulResponseHandler: async ({ response, requestBodyValues }) => {
      if (response.body == null) throw new pkg.EmptyResponseBodyError({});
      const responseHeaders = utils.extractResponseHeaders(response);
      const context: BodyContext = { url, requestBodyValues, statusCode: response.status, responseHeaders };
      return { responseHeaders, value: { body: response.body, context } };
    },
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(model.config.fetch ? { fetch: model.config.fetch } : {}),
  });
  return {
    stream: partsOf(answer.body, model, pkg, { metadataKey, warnings, context: answer.context }),
    request: { body },
    response: { headers: answer.context.responseHeaders },
  };
}

/** The body's SSE events as stream parts, read as the consumer pulls (the socket waits meanwhile). */
function partsOf(
  source: ReadableStream<Uint8Array>,
  model: ChatModelInternals,
  pkg: ProviderPackage,
  call: { metadataKey: string; warnings: unknown[]; context: BodyContext },
): ReadableStream<Part> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  const events: string[] = [];
  const parser = pkg.createParser({
    onEvent: (event) => {
      if (event.data !== '[DONE]') events.push(event.data);
    },
  });
  let out: ReadableStreamDefaultController<Part>;
  let enqueued = 0;
  const parts = chatChunkParts(
    {
      utils: pkg.utils,
      metadataKey: call.metadataKey,
      convertUsage: (usage) => model.convertUsage(usage),
      missingFinish: () =>
        new pkg.InvalidResponseDataError({
          data: undefined,
          message: 'Response stream ended without a finish reason.',
        }),
    },
    (part) => {
      enqueued++;
      out.enqueue(part);
    },
  );
  /** Turns the events parsed so far into parts, in order (a chunk the schema must check waits for it). */
  const drain = async (): Promise<void> => {
    for (let index = 0; index < events.length; index++) {
      const parsed = parse(events[index] as string, model, pkg);
      parts.push(parsed instanceof Promise ? await parsed : parsed);
    }
    events.length = 0;
  };
  return new ReadableStream<Part>({
    start(controller) {
      out = controller;
      parts.start(call.warnings as never);
    },
    async pull(controller) {
      const before = enqueued;
      while (enqueued === before) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          throw bodyReadError(error, call.context, pkg.APICallError);
        }
        if (next.done) {
          parser.feed(decoder.decode());
          await drain();
          parts.finish();
          controller.close();
          return;
        }
        parser.feed(decoder.decode(next.value, { stream: true }));
        await drain();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** One event's data as the package's `safeParseJSON` with the chunk schema would give it. */
function parse(text: string, model: ChatModelInternals, pkg: ProviderPackage): ParsedChunk | Promise<ParsedChunk> {
  let value: unknown;
  try {
    value = pkg.utils.secureJsonParse(text);
  } catch (error) {
    const parseError = error instanceof pkg.JSONParseError ? error : new pkg.JSONParseError({ text, cause: error });
    return { success: false, error: parseError };
  }
  if (isPlainChatChunk(value)) return { success: true, value } as ParsedChunk;
  return pkg.utils.safeValidateTypes({ value, schema: model.chunkSchema as never }) as Promise<ParsedChunk>;
}

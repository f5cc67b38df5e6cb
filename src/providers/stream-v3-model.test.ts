import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
  LanguageModelV4Prompt,
} from '@ai-sdk/provider';
import { resolveLanguageModel } from 'ai/internal';
import { describe, expect, it } from 'vitest';
import { guardProviderCalls } from './guard-provider-calls.ts';
import { isLanguageModelV3, streamV3Model, toV4StreamPart } from './stream-v3-model.ts';

/** Every prompt part whose shape differs between the spec versions, and some that do not. */
const PROMPT: LanguageModelV4Prompt = [
  { role: 'system', content: 'Be brief.' },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'Look' },
      { type: 'file', mediaType: 'image/png', data: { type: 'data', data: new Uint8Array([1, 2, 3]) } },
      { type: 'file', mediaType: 'image/png', data: { type: 'data', data: 'AQID' } },
      { type: 'file', mediaType: 'image/png', data: { type: 'url', url: new URL('https://example.com/a.png') } },
      { type: 'file', mediaType: 'image/png', data: { type: 'reference', reference: { openai: 'file-1' } } },
    ],
  },
  {
    role: 'assistant',
    content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'look', input: {} }],
  },
  {
    role: 'tool',
    content: [
      {
        type: 'tool-result',
        toolCallId: 'c1',
        toolName: 'look',
        output: {
          type: 'content',
          value: [
            { type: 'text', text: 'seen' },
            { type: 'file', mediaType: 'image/png', data: { type: 'data', data: new Uint8Array([4, 5]) } },
            { type: 'file', mediaType: 'image/png', data: { type: 'url', url: new URL('https://example.com/b.png') } },
            { type: 'file', mediaType: 'image/png', data: { type: 'reference', reference: { openai: 'file-2' } } },
          ],
        },
      },
      { type: 'tool-result', toolCallId: 'c2', toolName: 'look', output: { type: 'text', value: 'plain' } },
    ],
  },
] as LanguageModelV4Prompt;

const PARTS: LanguageModelV3StreamPart[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'text-start', id: 't' },
  { type: 'text-delta', id: 't', delta: 'Hi' },
  { type: 'text-end', id: 't' },
  { type: 'file', mediaType: 'image/png', data: 'AQID' },
  {
    type: 'finish',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 1, text: 1, reasoning: undefined },
    },
  },
];

/** A v3 model that records the options of each call and streams `PARTS`. */
function recordingModel(): LanguageModelV3 & { calls: LanguageModelV3CallOptions[] } {
  const calls: LanguageModelV3CallOptions[] = [];
  return {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'm',
    supportedUrls: {},
    calls,
    async doGenerate() {
      throw new Error('not used');
    },
    async doStream(options) {
      calls.push(options);
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of PARTS) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const parts: T[] = [];
  for await (const part of stream as unknown as AsyncIterable<T>) parts.push(part);
  return parts;
}

describe('streamV3Model', () => {
  it('sends a v3 model the prompt the AI SDK adapter would send, and maps its parts as the adapter does', async () => {
    const viaSdk = recordingModel();
    const direct = recordingModel();
    const sdkResult = await resolveLanguageModel(viaSdk).doStream({ prompt: PROMPT });
    const directResult = await streamV3Model(direct, { prompt: PROMPT });
    expect(direct.calls[0]?.prompt).toEqual(viaSdk.calls[0]?.prompt);
    expect((await readAll(directResult.stream)).map(toV4StreamPart)).toEqual(await readAll(sdkResult.stream));
  });

  it('tells a v3 model from a v4 one', () => {
    expect(isLanguageModelV3(recordingModel())).toBe(true);
    expect(isLanguageModelV3(resolveLanguageModel(recordingModel()))).toBe(false);
  });

  it('backs the provider guard: a v3 model streams through it as through the SDK adapter, one stage fewer', async () => {
    const guarded = guardProviderCalls(recordingModel(), {
      provider: 'test',
      timeoutMs: 5_000,
      maxRetries: 0,
      breaker: null,
    });
    const viaSdk = await resolveLanguageModel(recordingModel()).doStream({ prompt: PROMPT });
    const { stream } = await guarded.doStream({ prompt: PROMPT });
    expect(await readAll(stream)).toEqual(await readAll(viaSdk.stream));
  });
});

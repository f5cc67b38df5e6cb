import type { LanguageModelV4, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { guardProviderCalls } from '../providers/guard-provider-calls.ts';
import { observeParts } from '../providers/part-observer.ts';
import { instrumentModel } from './instrument-model.ts';

const PARTS = [
  { type: 'stream-start', warnings: [] },
  { type: 'response-metadata', id: 'resp-1', modelId: 'm-1' },
  { type: 'text-start', id: 't' },
  { type: 'text-delta', id: 't', delta: 'Hi' },
  { type: 'text-end', id: 't' },
  {
    type: 'finish',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: { inputTokens: { total: 3 }, outputTokens: { total: 1 } },
  },
] as unknown as LanguageModelV4StreamPart[];

/** A provider model whose stream gives `PARTS`, one per read. */
function fakeModel(): LanguageModelV4 {
  return {
    specificationVersion: 'v4',
    provider: 'fake',
    modelId: 'm',
    supportedUrls: {},
    doGenerate: () => Promise.reject(new Error('not used')),
    doStream: async () => {
      let index = 0;
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          pull(controller) {
            const part = PARTS[index++];
            if (part) controller.enqueue(part);
            else controller.close();
          },
        }),
      };
    },
  };
}

function instrumented() {
  const calls: [string, string][] = [];
  const guarded = guardProviderCalls(fakeModel(), { provider: 'fake', timeoutMs: 5_000, maxRetries: 0, breaker: null });
  const model = instrumentModel(guarded, {
    tenantId: 'acme',
    metrics: { modelCall: (provider, outcome) => void calls.push([provider, outcome]) },
    tracer: null,
  });
  return { model, calls };
}

async function readAll(stream: ReadableStream<LanguageModelV4StreamPart>): Promise<LanguageModelV4StreamPart[]> {
  const parts: LanguageModelV4StreamPart[] = [];
  const reader = stream.getReader();
  for (;;) {
    const next = await reader.read();
    if (next.done) return parts;
    parts.push(next.value);
  }
}

describe('instrumentModel over a guarded provider model', () => {
  it('observes the guard stream itself (no stage of its own) and measures the call once it ends', async () => {
    const { model, calls } = instrumented();
    const { stream } = await model.doStream({ prompt: [] });
    // The guard's own stream, still observable: telemetry added no stream around it.
    expect(observeParts(stream, { part() {}, done() {}, failed() {}, cancelled() {} })).toBe(true);
    expect(calls).toEqual([]);
    expect(await readAll(stream)).toEqual(PARTS);
    expect(calls).toEqual([['fake', 'completed']]);
  });

  it('counts a cancelled stream as failed', async () => {
    const { model, calls } = instrumented();
    const { stream } = await model.doStream({ prompt: [] });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel(new Error('client went away'));
    expect(calls).toEqual([['fake', 'failed']]);
  });
});

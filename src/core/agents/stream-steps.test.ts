import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StepEvent } from './step-loop.ts';
import { streamSteps } from './stream-steps.ts';

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

const textStep = (...deltas: string[]): LanguageModelV4StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'text-start', id: 't' },
  ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't', delta })),
  { type: 'text-end', id: 't' },
  { type: 'finish', usage: usage(10, deltas.length), finishReason: { unified: 'stop', raw: 'stop' } },
];

const callStep = (toolName: string, input: string): LanguageModelV4StreamPart[] => [
  { type: 'stream-start', warnings: [] },
  { type: 'tool-call', toolCallId: `call-${toolName}`, toolName, input },
  { type: 'finish', usage: usage(20, 5), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
];

/** A model answering each call with the next scripted step; records what it was sent. */
function scripted(...steps: LanguageModelV4StreamPart[][]) {
  const calls: LanguageModelV4CallOptions[] = [];
  const model = new MockLanguageModelV4({
    doStream: async (options) => {
      calls.push(options);
      const parts = steps[calls.length - 1] ?? textStep('(no more steps)');
      return { stream: new ReadableStream({ start: (c) => [...parts.map((p) => c.enqueue(p)), c.close()] }) };
    },
  });
  return { model, calls };
}

const add = tool({
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  execute: async ({ a, b }) => ({ sum: a + b }),
});

const base = { instructions: [{ role: 'system' as const, content: 'sys' }], maxSteps: 3 };
const user = [{ role: 'user' as const, content: 'Hi' }];

describe('streamSteps', () => {
  it('passes text deltas on as they arrive and returns the step with its usage', async () => {
    const { model, calls } = scripted(textStep('Hello', ' there'));
    const events: StepEvent[] = [];
    const steps = await streamSteps({ ...base, model, messages: user, tools: {} }, (event) => events.push(event));
    expect(events).toEqual([
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: ' there' },
    ]);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.content).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(steps[0]?.usage).toMatchObject({ inputTokens: 10, outputTokens: 2, totalTokens: 12 });
    expect(calls[0]?.prompt).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ]);
    expect(calls[0]?.tools).toBeUndefined();
  });

  it('runs a tool call and sends its result to the next step', async () => {
    const { model, calls } = scripted(callStep('add', '{"a":2,"b":3}'), textStep('5'));
    const events: StepEvent[] = [];
    const steps = await streamSteps({ ...base, model, messages: user, tools: { add } }, (event) => events.push(event));
    expect(events.map((event) => event.type)).toEqual(['tool-call', 'tool-result', 'text-delta']);
    expect(events[1]).toMatchObject({ toolCallId: 'call-add', output: { sum: 5 } });
    expect(steps.map((step) => step.content.map((part) => part.type))).toEqual([
      ['tool-call', 'tool-result'],
      ['text'],
    ]);
    expect(calls[0]?.tools).toEqual([expect.objectContaining({ type: 'function', name: 'add' })]);
    expect(calls[1]?.prompt.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'tool-call', toolCallId: 'call-add', toolName: 'add', input: { a: 2, b: 3 } }],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'call-add', toolName: 'add', output: { type: 'json', value: { sum: 5 } } },
        ],
      },
    ]);
  });

  it('turns a call with bad input, an unknown tool or a throwing tool into a tool-error, and goes on', async () => {
    const boom = tool({
      inputSchema: z.object({ why: z.string().optional() }),
      execute: async (): Promise<string> => {
        throw new Error('tool broke');
      },
    });
    const { model, calls } = scripted(
      [
        { type: 'stream-start', warnings: [] },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: '{"a":"two"}' },
        { type: 'tool-call', toolCallId: 'c2', toolName: 'nope', input: '{}' },
        { type: 'tool-call', toolCallId: 'c3', toolName: 'boom', input: '{}' },
        { type: 'finish', usage: usage(1, 1), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      ],
      textStep('sorry'),
    );
    const steps = await streamSteps({ ...base, model, messages: user, tools: { add, boom } }, () => {});
    const errors = steps[0]?.content.filter((part) => part.type === 'tool-error') ?? [];
    expect(errors.map((part) => part.toolCallId)).toEqual(['c1', 'c2', 'c3']);
    expect(String((errors[2] as { error: Error }).error.message)).toBe('tool broke');
    const results = calls[1]?.prompt.at(-1)?.content as { output: { type: string } }[];
    expect(results.map((result) => result.output.type)).toEqual(['error-text', 'error-text', 'error-text']);
    expect(steps).toHaveLength(2);
  });

  it('stops after maxSteps even while the model keeps calling tools', async () => {
    const { model, calls } = scripted(...Array.from({ length: 5 }, () => callStep('add', '{"a":1,"b":1}')));
    const steps = await streamSteps({ ...base, maxSteps: 2, model, messages: user, tools: { add } }, () => {});
    expect(steps).toHaveLength(2);
    expect(calls).toHaveLength(2);
  });

  it('rejects with an error part, and with the abort reason even when the stream ignores the signal', async () => {
    const failing = scripted([
      { type: 'stream-start', warnings: [] },
      { type: 'error', error: new Error('bad gateway') },
    ]);
    await expect(streamSteps({ ...base, model: failing.model, messages: user, tools: {} }, () => {})).rejects.toThrow(
      'bad gateway',
    );

    const stuck = new MockLanguageModelV4({
      doStream: async () => ({
        stream: new ReadableStream<LanguageModelV4StreamPart>({ pull: () => new Promise(() => {}) }),
      }),
    });
    const abort = new AbortController();
    const running = streamSteps(
      { ...base, model: stuck, messages: user, tools: {}, abortSignal: abort.signal },
      () => {},
    );
    setTimeout(() => abort.abort(new Error('cancelled by test')), 10);
    await expect(running).rejects.toThrow('cancelled by test');
  });
});

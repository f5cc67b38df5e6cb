import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
} from '@ai-sdk/provider';
import { tool } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateSteps } from './generate-steps.ts';

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
});

const answer = (
  content: LanguageModelV4Content[],
  finish: 'stop' | 'tool-calls' | 'length' = 'stop',
): LanguageModelV4GenerateResult => ({
  content,
  usage: usage(10, 3),
  finishReason: { unified: finish, raw: finish },
  warnings: [],
});

/** A model answering each call with the next scripted result; records what it was sent. */
function scripted(...results: LanguageModelV4GenerateResult[]) {
  const calls: LanguageModelV4CallOptions[] = [];
  const model = new MockLanguageModelV4({
    doGenerate: async (options) => {
      calls.push(options);
      return results[calls.length - 1] ?? answer([{ type: 'text', text: '(no more steps)' }]);
    },
  });
  return { model, calls };
}

const add = tool({
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  execute: async ({ a, b }) => ({ sum: a + b }),
});
/** A client-side tool: no `execute`, so its call goes back to the caller. */
const lookup = tool({ inputSchema: z.object({ q: z.string() }) });

const base = { instructions: [{ role: 'system' as const, content: 'sys' }], maxSteps: 3 };
const user = [{ role: 'user' as const, content: 'Hi' }];

describe('generateSteps', () => {
  it('returns one step with its text, reasoning first, its usage and why it ended, sending the settings', async () => {
    const { model, calls } = scripted(
      answer([
        { type: 'text', text: 'Hello' },
        { type: 'reasoning', text: 'They greeted me.' },
        { type: 'text', text: '' },
        { type: 'text', text: ' there' },
      ]),
    );
    const steps = await generateSteps({
      ...base,
      model,
      messages: user,
      tools: {},
      settings: { temperature: 0.2, maxOutputTokens: 50, stopSequences: ['END'] },
    });
    expect(steps).toEqual([
      {
        content: [
          { type: 'reasoning', text: 'They greeted me.' },
          { type: 'text', text: 'Hello' },
          { type: 'text', text: ' there' },
        ],
        usage: expect.objectContaining({ inputTokens: 10, outputTokens: 3, totalTokens: 13 }),
        finishReason: 'stop',
      },
    ]);
    expect(calls[0]).toMatchObject({
      prompt: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      ],
      temperature: 0.2,
      maxOutputTokens: 50,
      stopSequences: ['END'],
    });
    expect(calls[0]?.tools).toBeUndefined();
  });

  it('runs a server-side tool and sends its result to the next step; a bad call is a tool-error', async () => {
    const { model, calls } = scripted(
      answer(
        [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: '{"a":2,"b":3}' },
          { type: 'tool-call', toolCallId: 'c2', toolName: 'add', input: '{"a":"two"}' },
        ],
        'tool-calls',
      ),
      answer([{ type: 'text', text: '5' }]),
    );
    const steps = await generateSteps({ ...base, model, messages: user, tools: { add } });
    expect(steps.map((step) => step.content.map((part) => part.type))).toEqual([
      ['tool-call', 'tool-call', 'tool-result', 'tool-error'],
      ['text'],
    ]);
    expect(steps[0]?.content[2]).toMatchObject({ toolCallId: 'c1', output: { sum: 5 } });
    expect(calls[0]?.tools).toEqual([expect.objectContaining({ type: 'function', name: 'add' })]);
    expect(calls[0]?.toolChoice).toEqual({ type: 'auto' });
    const results = calls[1]?.prompt.at(-1)?.content as { toolCallId: string; output: { type: string } }[];
    expect(results.map((result) => [result.toolCallId, result.output.type])).toEqual([
      ['c1', 'json'],
      ['c2', 'error-text'],
    ]);
  });

  it('stops at a client-side tool call, leaves calls the provider ran out, and stops after maxSteps', async () => {
    const client = scripted(
      answer(
        [
          { type: 'tool-call', toolCallId: 'p1', toolName: 'web_search', input: '{}', providerExecuted: true },
          { type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', input: '{"q":"x"}' },
        ],
        'tool-calls',
      ),
    );
    const steps = await generateSteps({ ...base, model: client.model, messages: user, tools: { lookup } });
    expect(steps).toHaveLength(1);
    expect(steps[0]?.content).toEqual([{ type: 'tool-call', toolCallId: 'c1', toolName: 'lookup', input: { q: 'x' } }]);
    expect(client.calls).toHaveLength(1);

    const looping = scripted(
      ...Array.from({ length: 5 }, () =>
        answer([{ type: 'tool-call', toolCallId: 'c', toolName: 'add', input: '{"a":1,"b":1}' }], 'tool-calls'),
      ),
    );
    expect(
      await generateSteps({ ...base, maxSteps: 2, model: looping.model, messages: user, tools: { add } }),
    ).toHaveLength(2);
    expect(looping.calls).toHaveLength(2);
  });

  it("rejects with the model's error, and with the abort reason once aborted", async () => {
    const failing = new MockLanguageModelV4({
      doGenerate: async () => {
        throw new Error('bad gateway');
      },
    });
    await expect(generateSteps({ ...base, model: failing, messages: user, tools: {} })).rejects.toThrow('bad gateway');

    const abort = new AbortController();
    const aborting = new MockLanguageModelV4({
      doGenerate: async () => {
        abort.abort(new Error('cancelled by test'));
        return answer([{ type: 'text', text: 'late' }]);
      },
    });
    await expect(
      generateSteps({ ...base, model: aborting, messages: user, tools: {}, abortSignal: abort.signal }),
    ).rejects.toThrow('cancelled by test');
  });
});

import { generateText, isStepCount, streamText, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSimulatedModel, wordDeltas } from './simulated-model.ts';

const clock = tool({
  description: 'time',
  inputSchema: z.object({}),
  execute: async () => ({ now: '2026-01-01T00:00:00.000Z' }),
});

describe('simulated model (AI SDK LanguageModelV4)', () => {
  it('answers with the original prefix, quoting earlier user messages, deterministically', async () => {
    const run = () =>
      generateText({
        model: createSimulatedModel(),
        instructions: 'be brief',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: 'second' },
        ],
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.text).toBe("Agent response to 'second' with context: first");
    expect(b.text).toBe(a.text);
    expect(a.usage.inputTokens).toBeGreaterThan(0);
    expect(a.usage.outputTokens).toBe(Math.ceil(a.text.length / 4));
  });

  it('streams word by word, and the deltas add up to the text', async () => {
    const result = streamText({ model: createSimulatedModel(), messages: [{ role: 'user', content: 'Hello there' }] });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(await result.text);
    expect(deltas[0]).toBe('Agent ');
  });

  it('calls an offered tool the user names, then answers with its result through the tool loop', async () => {
    const result = await generateText({
      model: createSimulatedModel(),
      messages: [{ role: 'user', content: 'what is current_time now?' }],
      tools: { current_time: clock },
      stopWhen: isStepCount(5),
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.toolCalls[0]?.toolName).toBe('current_time');
    expect(result.text).toContain('current_time returned {"now":"2026-01-01T00:00:00.000Z"}');
  });

  it('does not call tools that are not offered', async () => {
    const result = await generateText({
      model: createSimulatedModel(),
      messages: [{ role: 'user', content: 'current_time please' }],
    });
    expect(result.steps).toHaveLength(1);
    expect(result.toolCalls).toEqual([]);
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      generateText({
        model: createSimulatedModel(),
        messages: [{ role: 'user', content: 'hi' }],
        abortSignal: controller.signal,
        maxRetries: 0,
      }),
    ).rejects.toThrow();
  });

  it('wordDeltas splits into pieces that concatenate back', () => {
    for (const text of ['', 'one', 'two words', '  lead and trail  ', 'a\nb\tc']) {
      expect(wordDeltas(text).join('')).toBe(text);
    }
  });
});

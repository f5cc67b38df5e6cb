import { generateText } from 'ai';
import { describe, expect, it } from 'vitest';
import { summaryInstructions, summaryRequest } from '../../core/context/rolling-summary.ts';
import type { ContextMessage } from '../../core/ports.ts';
import { createSimulatedModel } from './simulated-model.ts';
import { SIMULATED_SUMMARY_MAX_CHARS } from './simulated-summary.ts';

const said = (seq: number, role: ContextMessage['role'], text: string): ContextMessage => ({
  seq,
  turnId: `t${seq}`,
  role,
  content: [{ type: 'text', text }],
});

async function summarise(previous: string | null, messages: ContextMessage[]): Promise<string> {
  const result = await generateText({
    model: createSimulatedModel(),
    instructions: summaryInstructions(150),
    messages: [{ role: 'user', content: summaryRequest(previous, messages) }],
  });
  return result.text;
}

describe('simulated rolling summary', () => {
  it('is deterministic, keeps the user messages, and builds on the previous summary', async () => {
    const first = await summarise(null, [said(1, 'user', 'I live in Lyon'), said(2, 'assistant', 'Noted.')]);
    expect(first).toBe('The user said: I live in Lyon');
    expect(await summarise(null, [said(1, 'user', 'I live in Lyon'), said(2, 'assistant', 'Noted.')])).toBe(first);
    const second = await summarise(first, [said(3, 'user', 'My cat is called\nMiso'), said(4, 'assistant', 'Cute.')]);
    expect(second).toBe('The user said: I live in Lyon | My cat is called Miso');
  });

  it('stays bounded, dropping the oldest items first', async () => {
    let summary: string | null = null;
    for (let index = 0; index < 50; index++) {
      summary = await summarise(summary, [said(index, 'user', `fact number ${index} about the project`)]);
    }
    expect(summary?.length).toBeLessThanOrEqual(SIMULATED_SUMMARY_MAX_CHARS);
    expect(summary).toContain('fact number 49');
    expect(summary).not.toContain('fact number 0 ');
  });

  it('answers ordinary prompts exactly as before', async () => {
    const result = await generateText({
      model: createSimulatedModel(),
      instructions: 'You are a helpful assistant.',
      messages: [{ role: 'user', content: 'Summarise the conversation please' }],
    });
    expect(result.text).toBe("Agent response to 'Summarise the conversation please' with context: ");
  });
});

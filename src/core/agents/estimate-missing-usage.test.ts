import type { LanguageModelUsage } from 'ai';
import { describe, expect, it } from 'vitest';
import { ESTIMATE_COUNTER } from '../context/token-counter.ts';
import { estimateMissingUsage, warnUsageEstimated } from './estimate-missing-usage.ts';
import type { Step } from './steps-to-messages.ts';

const reported = (inputTokens: number, outputTokens: number) =>
  ({ inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }) as LanguageModelUsage;
const none = { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined } as LanguageModelUsage;
const count = (text: string) => ESTIMATE_COUNTER.count(text);

describe('estimateMissingUsage', () => {
  it('leaves reported usage alone and says nothing was estimated', () => {
    const steps: Step[] = [{ content: [{ type: 'text', text: 'hi' }], usage: reported(10, 2) }];
    expect(estimateMissingUsage(steps, ESTIMATE_COUNTER, 99)).toEqual({ steps, estimated: false });
  });

  it('counts a step without usage: the context as input, its text and tool calls as output', () => {
    const call = { type: 'tool-call' as const, toolCallId: 'c1', toolName: 'current_time', input: { zone: 'UTC' } };
    const result = { ...call, type: 'tool-result' as const, output: '2026-12-04T15:00:00Z' };
    const steps: Step[] = [
      { content: [{ type: 'text', text: 'Let me look.' }, call, result], usage: undefined },
      { content: [{ type: 'text', text: 'It is three.' }], usage: none },
    ];
    const { steps: filled, estimated } = estimateMissingUsage(steps, ESTIMATE_COUNTER, 50);
    expect(estimated).toBe(true);
    const firstOutput = count('Let me look.') + count('current_time') + count('{"zone":"UTC"}');
    expect(filled[0]?.usage).toMatchObject({
      inputTokens: 50,
      outputTokens: firstOutput,
      totalTokens: 50 + firstOutput,
    });
    // The second call's prompt holds the first step's output and tool result, each a message.
    const secondInput = 50 + firstOutput + count('2026-12-04T15:00:00Z') + 2 * ESTIMATE_COUNTER.messageOverhead;
    expect(filled[1]?.usage).toMatchObject({ inputTokens: secondInput, outputTokens: count('It is three.') });
  });

  it('keeps a count the provider did report and estimates only the missing one', () => {
    const half = { inputTokens: 40, outputTokens: undefined, totalTokens: undefined } as LanguageModelUsage;
    const { steps } = estimateMissingUsage(
      [{ content: [{ type: 'text', text: 'abcd' }], usage: half }],
      ESTIMATE_COUNTER,
      7,
    );
    expect(steps[0]?.usage).toMatchObject({ inputTokens: 40, outputTokens: 1, totalTokens: 41 });
  });
});

describe('warnUsageEstimated', () => {
  it('warns once per provider and logger, naming no tenant', () => {
    const lines: Record<string, unknown>[] = [];
    const log = { warn: (details: Record<string, unknown>) => lines.push(details) };
    warnUsageEstimated(log, 'quiet', 'm1');
    warnUsageEstimated(log, 'quiet', 'm2');
    warnUsageEstimated(log, 'other', 'm1');
    expect(lines).toEqual([
      { provider: 'quiet', model: 'm1' },
      { provider: 'other', model: 'm1' },
    ]);
    const second: unknown[] = [];
    warnUsageEstimated({ warn: (details) => second.push(details) }, 'quiet', 'm1');
    expect(second).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { TurnRequest, TurnResult } from '../core/agents/run-agent.ts';
import { observeTurns } from './observe-turns.ts';

const result = {
  turnId: 'msg_1',
  messages: [],
  reply: { model: 'simulated:simulated-1', content: [] },
  usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
  latencyMs: 5,
} as unknown as TurnResult;

describe('observeTurns', () => {
  it('a metric that throws after a completed turn is logged; the turn still succeeds', async () => {
    const warnings: string[] = [];
    const run = observeTurns(async () => result, {
      metrics: {
        turn() {
          throw new Error('metrics registry broken');
        },
      },
      log: () => ({ info() {}, warn: (_fields, message) => warnings.push(message) }),
      tracer: null,
      logContent: false,
      failedCodes: new Set(),
    });
    await expect(run({ tenantId: 't', sessionId: 's', requestId: 'r' } as TurnRequest)).resolves.toBe(result);
    expect(warnings).toEqual(['could not observe a turn']);
  });
});

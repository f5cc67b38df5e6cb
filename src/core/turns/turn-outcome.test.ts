import { describe, expect, it } from 'vitest';
import type { Message } from '../conversations/message.ts';
import { turnOutcomeOf, turnUsageOf } from './turn-outcome.ts';

const message = (fields: Partial<Message>): Message => ({
  id: 'msg_1',
  tenantId: 't',
  sessionId: 's',
  seq: 1,
  turnId: 'msg_0',
  role: 'assistant',
  status: 'completed',
  content: [],
  toolCalls: null,
  final: false,
  usage: null,
  model: null,
  latencyMs: null,
  requestId: null,
  configVersion: null,
  userId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...fields,
});

describe('turnOutcomeOf', () => {
  it('is completed once a final completed message is stored, whatever the running mark says', () => {
    expect(turnOutcomeOf([message({}), message({ final: true })], true)).toBe('completed');
  });
  it('names a cancel before a failure, and a stored failure as failed', () => {
    expect(turnOutcomeOf([message({ status: 'failed' }), message({ status: 'cancelled' })], false)).toBe('cancelled');
    expect(turnOutcomeOf([message({ status: 'failed' })], true)).toBe('failed');
  });
  it('is open while running with no outcome, and failed when it runs nowhere', () => {
    expect(turnOutcomeOf([message({})], true)).toBe('open');
    expect(turnOutcomeOf([], false)).toBe('failed');
  });
});

describe('turnUsageOf', () => {
  it('sums the charged messages and is null when none was charged', () => {
    expect(turnUsageOf([message({})])).toBeNull();
    const usage = { inputTokens: 3, outputTokens: 2, totalTokens: 5 };
    expect(turnUsageOf([message({ usage }), message({}), message({ usage })])).toEqual({
      inputTokens: 6,
      outputTokens: 4,
      totalTokens: 10,
    });
  });
});

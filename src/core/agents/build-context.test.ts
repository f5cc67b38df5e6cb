import { describe, expect, it } from 'vitest';
import type { Message } from '../conversations/message.ts';
import type { ContextItem, Storage } from '../ports.ts';
import { buildContext, CONTEXT_MESSAGE_LIMIT } from './build-context.ts';

function storageWith(items: ContextItem[]): { storage: Storage; limits: number[] } {
  const limits: number[] = [];
  const storage = {
    async recentContext(_tenant: string, _session: string, beforeSeq: number, limit: number) {
      limits.push(limit);
      return items
        .filter((item) => item.seq < beforeSeq)
        .sort((a, b) => b.seq - a.seq)
        .slice(0, limit);
    },
  } as unknown as Storage;
  return { storage, limits };
}

const current = (seq: number, text: string) =>
  ({ seq, sessionId: 's', content: [{ type: 'text', text }] }) as unknown as Message;

describe('buildContext', () => {
  it('keeps the newest turns that fit the budget, in chronological order, then the current message', async () => {
    const items: ContextItem[] = Array.from({ length: 10 }, (_, index) => ({
      seq: index + 1,
      role: index % 2 === 0 ? 'user' : 'assistant',
      text: `${'x'.repeat(36)}${index}`.slice(-40),
    }));
    const { storage } = storageWith(items);
    const context = await buildContext(storage, 't', current(11, 'now'), { systemPrompt: 'sys', budgetTokens: 35 });
    // 'sys' (1) + 'now' (1) + three 10-token messages = 32 <= 35; a fourth would be 42.
    expect(context.messages.map((message) => message.content)).toEqual([
      items[7]?.text,
      items[8]?.text,
      items[9]?.text,
      'now',
    ]);
    expect(context.tokens).toBe(32);
  });

  it('reads a bounded number of messages however long the history is', async () => {
    const items: ContextItem[] = Array.from({ length: 5000 }, (_, index) => ({
      seq: index + 1,
      role: 'user',
      text: 'a',
    }));
    const { storage, limits } = storageWith(items);
    const context = await buildContext(storage, 't', current(5001, 'now'), {
      systemPrompt: '',
      budgetTokens: 1_000_000,
    });
    expect(limits).toEqual([CONTEXT_MESSAGE_LIMIT]);
    expect(context.messages).toHaveLength(CONTEXT_MESSAGE_LIMIT + 1);
  });

  it('always includes the current message even when it alone exceeds the budget', async () => {
    const { storage } = storageWith([{ seq: 1, role: 'user', text: 'old' }]);
    const context = await buildContext(storage, 't', current(2, 'y'.repeat(400)), {
      systemPrompt: '',
      budgetTokens: 10,
    });
    expect(context.messages).toEqual([{ role: 'user', content: 'y'.repeat(400) }]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newMessage } from '../../../test/fakes/new-message.ts';
import { createStorage } from '../../storage/create-storage.ts';
import { createContextMemo } from '../context/context-memo.ts';
import { SUMMARY_READ_LIMIT } from '../context/measure-overflow.ts';
import { type RollingSummaryWriter, SUMMARY_NOTE_START } from '../context/rolling-summary.ts';
import { ESTIMATE_COUNTER } from '../context/token-counter.ts';
import type { Message } from '../conversations/message.ts';
import { createIds } from '../ids.ts';
import type { ContextMessage, SessionSummary, Storage } from '../ports.ts';
import { buildContext, CONTEXT_MESSAGE_LIMIT } from './build-context.ts';

const ids = createIds();
let storage: Storage;
beforeEach(async () => {
  ({ storage } = await createStorage({ databaseUrl: 'sqlite::memory:', sqliteSynchronous: 'NORMAL', migrate: true }));
});
afterEach(async () => {
  await storage.close();
});

/** Stores a turn (user message, optional tool call and result, final reply); returns its user message. */
async function turn(text: string, reply: string, tool?: { output: unknown }): Promise<Message> {
  const turnId = ids.next('msg');
  const user = await storage.beginTurn('t', {
    sessionId: 's',
    createTenant: true,
    createSession: { id: 's', title: null, userId: null, metadata: {} },
    message: newMessage('user', [{ type: 'text', text }], turnId),
  });
  const call = { toolCallId: `call_${turnId}`, toolName: 'lookup', input: { q: text } };
  await storage.appendMessages('t', 's', [
    ...(tool
      ? [
          newMessage('assistant', [{ type: 'tool-call', ...call }], turnId, { toolCalls: [call] }),
          newMessage('tool', [{ type: 'tool-result', ...call, output: tool.output }], turnId),
        ]
      : []),
    newMessage('assistant', [{ type: 'text', text: reply }], turnId, { final: true }),
  ]);
  return user;
}

/** The current turn's user message, stored like the pipeline stores it. */
const current = (text: string) => turn(text, '').then(async (message) => message);

/** A writer that records what it was asked and answers with a fixed text, or fails. */
function spyWriter(options: { fail?: boolean } = {}) {
  const calls: { previous: SessionSummary | null; messages: readonly ContextMessage[] }[] = [];
  const writer: RollingSummaryWriter = {
    async write(previous, messages) {
      calls.push({ previous, messages });
      if (options.fail) throw new Error('provider down');
      const last = messages.at(-1) as ContextMessage;
      const summary = { sessionId: 's', upToSeq: last.seq, text: `summary ${calls.length}`, model: 'm', tokenCount: 3 };
      await storage.saveSessionSummary('t', summary, {
        id: ids.next('use'),
        sessionId: 's',
        turnId: 'x',
        keyId: null,
        userId: null,
        model: 'm',
        configVersion: 0,
        inputTokens: 1,
        outputTokens: 1,
        totalTokens: 2,
        toolCalls: 0,
        latencyMs: 0,
        status: 'summary',
      });
      return { ...summary, createdAt: '' };
    },
  };
  return { writer, calls };
}

describe('buildContext', () => {
  it('keeps the newest turns that fit the budget, in order, then the current message, all within the budget', async () => {
    for (let index = 0; index < 10; index++) await turn(`question ${index}`, `answer ${index}`);
    const now = await storage.beginTurn('t', {
      sessionId: 's',
      createTenant: false,
      createSession: null,
      message: newMessage('user', [{ type: 'text', text: 'now' }], ids.next('msg')),
    });
    const context = await buildContext(storage, 't', now, { systemPrompt: 'sys', budgetTokens: 60 });
    // 'sys' and 'now' cost 5 each, the reply's priming 3; each earlier message ⌈2.75⌉ + 4 = 7: six fit in 60.
    expect(context.messages.map((message) => message.content)).toEqual([
      'question 7',
      'answer 7',
      'question 8',
      'answer 8',
      'question 9',
      'answer 9',
      'now',
    ]);
    expect(context.instructions).toEqual([{ role: 'system', content: 'sys' }]);
    expect(context.tokens).toBeLessThanOrEqual(60);
  });

  it('reads a bounded number of messages however long the history is', async () => {
    for (let index = 0; index < 100; index++) await turn('a', 'b');
    const now = await current('now');
    const context = await buildContext(storage, 't', now, { systemPrompt: '', budgetTokens: 1_000_000 });
    // The current turn's own (empty) reply is stored after it, so it never counts.
    expect(context.messages).toHaveLength(CONTEXT_MESSAGE_LIMIT + 1);
  });

  it('always includes the current message even when it alone exceeds the budget', async () => {
    await turn('old', 'reply');
    const now = await current('y'.repeat(400));
    const context = await buildContext(storage, 't', now, { systemPrompt: '', budgetTokens: 10 });
    expect(context.messages).toEqual([{ role: 'user', content: 'y'.repeat(400) }]);
  });

  it('trims long tool results in the context only, and keeps calls with their results', async () => {
    const big = { rows: 'r'.repeat(10_000) };
    await turn('look it up', 'done', { output: big });
    const now = await current('next');
    const context = await buildContext(storage, 't', now, {
      systemPrompt: '',
      budgetTokens: 100_000,
      toolResultMaxChars: 500,
    });
    expect(context.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'user']);
    const tool = context.messages[2] as { content: { output: { type: string; value: string } }[] };
    const output = tool.content[0]?.output;
    expect(output?.type).toBe('text');
    expect(output?.value.length).toBeLessThanOrEqual(500);
    expect(output?.value).toMatch(/… \[trimmed in context: \d+ of 10011 characters shown\]$/);
    // The stored tool message still holds the whole output.
    const messages = await storage.listMessages('t', 's', { limit: 10, cursorSeq: null, order: 'asc' });
    const storedTool = messages.find((message) => message.role === 'tool');
    expect(storedTool?.content[0]).toMatchObject({ type: 'tool-result', output: big });
  });

  it('never starts the window with a tool result whose call did not fit', async () => {
    await turn('look it up', 'done', { output: 'x'.repeat(40) });
    const now = await current('next');
    // Every budget, including those with room for the result and the reply but not the call before them.
    const roles = new Set<string>();
    for (let budget = 10; budget <= 120; budget++) {
      const context = await buildContext(storage, 't', now, { systemPrompt: '', budgetTokens: budget });
      roles.add(context.messages.map((message) => message.role).join(','));
      expect(context.messages[0]?.role, `budget ${budget}`).not.toBe('tool');
    }
    expect(roles).toContain('assistant,user');
    expect(roles).toContain('user,assistant,tool,assistant,user');
  });

  it.each([
    ['without', false],
    ['with', true],
  ])(
    'summarises the overflow once it passes a quarter of the budget, incrementally, and uses the summary (%s a memo)',
    async (_, withMemo) => {
      const { writer, calls } = spyWriter();
      const budget = 200;
      const memo = withMemo ? createContextMemo() : undefined;
      let summarised = 0;
      for (let index = 0; index < 60; index++) {
        const now = await turn(`message ${String(index).padStart(3, '0')}`, `reply ${index}`);
        const context = await buildContext(storage, 't', now, {
          systemPrompt: 'sys',
          budgetTokens: budget,
          summaries: writer,
          memo,
        });
        expect(context.tokens).toBeLessThanOrEqual(budget);
        if (context.summarised) summarised++;
        if (context.summary) {
          expect(context.instructions[1]?.content).toContain(SUMMARY_NOTE_START);
          expect(context.instructions[1]?.content).toContain(context.summary.text);
        }
      }
      expect(summarised).toBe(calls.length);
      expect(calls.length).toBeGreaterThan(3);
      expect(calls.length).toBeLessThan(30);
      // Each call gets the previous summary and only what came after it: every message is summarised once.
      const seqs = calls.flatMap((call) => call.messages.map((message) => message.seq));
      expect(new Set(seqs).size).toBe(seqs.length);
      for (const [index, call] of calls.entries()) {
        if (index === 0) expect(call.previous).toBeNull();
        else expect(call.previous?.upToSeq).toBe(calls[index - 1]?.messages.at(-1)?.seq);
        expect(call.messages[0]?.seq).toBe((call.previous?.upToSeq ?? 0) + 1);
      }
    },
  );

  it('summarises only the newest part of a long backlog (a history from before summaries), so it is caught up in a few turns', async () => {
    // 300 turns (600 context messages) stored before any summary existed.
    for (let index = 0; index < 300; index++) await turn(`old ${index}`, `old reply ${index}`);
    const { writer, calls } = spyWriter();
    for (let index = 0; index < 12; index++) {
      const now = await turn(`new ${index}`, `new reply ${index}`);
      await buildContext(storage, 't', now, { systemPrompt: 'sys', budgetTokens: 200, summaries: writer });
    }
    const first = calls[0]?.messages[0]?.seq ?? 0;
    // The oldest messages are skipped: the first summary starts within the newest SUMMARY_READ_LIMIT of the backlog.
    expect(first).toBeGreaterThan(600 - SUMMARY_READ_LIMIT - CONTEXT_MESSAGE_LIMIT);
    // Caught up: the last turns no longer summarise on every turn.
    expect(calls.length).toBeLessThan(12);
  });

  it('falls back to the newest turns when the summary fails, and reports it', async () => {
    const { writer, calls } = spyWriter({ fail: true });
    const errors: unknown[] = [];
    for (let index = 0; index < 30; index++) await turn(`message ${index}`, `reply ${index}`);
    const now = await current('now');
    const context = await buildContext(storage, 't', now, {
      systemPrompt: 'sys',
      budgetTokens: 100,
      summaries: writer,
      onSummaryError: (error) => errors.push(error),
    });
    expect(calls).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(context.summary).toBeNull();
    expect(context.instructions).toHaveLength(1);
    expect(context.messages.at(-1)).toEqual({ role: 'user', content: 'now' });
    expect(context.tokens).toBeLessThanOrEqual(100);
  });

  it('summarises an overflow of many short messages once it holds SUMMARY_READ_LIMIT of them, however large the budget', async () => {
    // 32 messages fill the window long before a quarter of this budget: tokens alone would never summarise.
    const { writer, calls } = spyWriter();
    const memo = createContextMemo();
    for (let index = 0; index < 140; index++) {
      const now = await turn(`q ${index}`, `a ${index}`);
      await buildContext(storage, 't', now, { systemPrompt: 'sys', budgetTokens: 1_000_000, summaries: writer, memo });
    }
    expect(calls).toHaveLength(1);
    const batch = calls[0]?.messages ?? [];
    expect(batch).toHaveLength(SUMMARY_READ_LIMIT);
    expect(batch[0]?.seq).toBe(1);
  });

  it('lets one turn at a time measure and summarise a session: a concurrent turn goes on with the newest turns', async () => {
    const memo = createContextMemo();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let entered: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { writer, calls } = spyWriter();
    const gated: RollingSummaryWriter = {
      write: async (...args) => {
        entered();
        await gate;
        return writer.write(...args);
      },
    };
    for (let index = 0; index < 30; index++) await turn(`message ${index}`, `reply ${index}`);
    const options = { systemPrompt: 'sys', budgetTokens: 100, summaries: gated, memo };
    const first = buildContext(storage, 't', await current('first'), options);
    await reached;
    const reads: string[] = [];
    const watched: Storage = {
      ...storage,
      contextMessages: (...args) => {
        reads.push('contextMessages');
        return storage.contextMessages(...args);
      },
    };
    const second = await buildContext(watched, 't', await current('second'), options);
    expect(second.summarised).toBe(false);
    expect(reads).toEqual([]);
    expect(second.tokens).toBeLessThanOrEqual(100);
    open();
    expect((await first).summarised).toBe(true);
    expect(calls).toHaveLength(1);
    // Released: the next turn measures again.
    expect(memo.claimOverflow('t', 's')).not.toBeNull();
  });

  it('releases the claim when the summary fails', async () => {
    const memo = createContextMemo();
    const { writer, calls } = spyWriter({ fail: true });
    for (let index = 0; index < 30; index++) await turn(`message ${index}`, `reply ${index}`);
    const options = { systemPrompt: 'sys', budgetTokens: 100, summaries: writer, memo };
    await buildContext(storage, 't', await current('one'), options);
    await buildContext(storage, 't', await current('two'), options);
    expect(calls).toHaveLength(2);
  });

  /** A user message stored as a turn's first write (the current message of a context). */
  const ask = (text: string, sessionId = 's') =>
    storage.beginTurn('t', {
      sessionId,
      createTenant: true,
      createSession: { id: sessionId, title: null, userId: null, metadata: {} },
      message: newMessage('user', [{ type: 'text', text }], ids.next('msg')),
    });
  const answer = (question: Message, text: string) =>
    storage.appendMessages('t', question.sessionId, [
      newMessage('assistant', [{ type: 'text', text }], question.turnId, { final: true }),
    ]);
  /** A tokenizer (counting as the estimate does), recording every text it counts. */
  const recording = (texts: string[]) => ({
    ...ESTIMATE_COUNTER,
    encoding: 'recording',
    count: (text: string) => {
      texts.push(text);
      return ESTIMATE_COUNTER.count(text);
    },
  });

  it('counts each earlier message once while it stays in the window, and the same tokens as counting afresh', async () => {
    const texts: string[] = [];
    const options = { systemPrompt: 'sys', budgetTokens: 10_000, counter: recording(texts), memo: createContextMemo() };
    for (let index = 0; index < 3; index++) await answer(await ask(`question ${index}`), `answer ${index}`);
    const fourth = await ask('fourth');
    await buildContext(storage, 't', fourth, options);
    // The system prompt and the current message, then the six earlier messages.
    expect(texts).toHaveLength(2 + 6);
    await answer(fourth, 'fourth answer');
    texts.length = 0;
    const fifth = await ask('fifth');
    const remembered = await buildContext(storage, 't', fifth, options);
    // The system prompt is remembered; of the earlier messages, only those new since the last
    // window (newest first).
    expect(texts).toEqual(['fifth', 'fourth answer', 'fourth']);
    const afresh = await buildContext(storage, 't', fifth, { ...options, memo: undefined });
    expect(remembered.tokens).toBe(afresh.tokens);
    expect(remembered.messages).toEqual(afresh.messages);
  });

  it('remembers no counts of the estimate, which costs about what remembering would', async () => {
    const memo = createContextMemo();
    await answer(await ask('question'), 'answer');
    await buildContext(storage, 't', await ask('now'), { systemPrompt: 'sys', budgetTokens: 10_000, memo });
    expect(memo.windowCounts('t', 's')).toBeUndefined();
  });

  it('counts a message again when counting differs, or when its seq now holds another turn', async () => {
    const texts: string[] = [];
    const options = { systemPrompt: 'sys', budgetTokens: 10_000, counter: recording(texts), memo: createContextMemo() };
    await answer(await ask('question'), 'answer');
    const now = await ask('now');
    await buildContext(storage, 't', now, options);
    texts.length = 0;
    // Another counting (here a shorter tool-result trim; another tokenizer alike) counts all again.
    const trimmed = { ...options, toolResultMaxChars: 100 };
    await buildContext(storage, 't', now, trimmed);
    expect(texts).toEqual(['sys', 'now', 'answer', 'question']);
    // The session deleted and made again under its id: the same seqs, other turns.
    await storage.deleteSession('t', 's');
    await answer(await ask('another question'), 'another answer');
    const later = await ask('later');
    texts.length = 0;
    const again = await buildContext(storage, 't', later, trimmed);
    expect(texts).toEqual(['later', 'another answer', 'another question']);
    expect(again.messages.map((message) => message.content)).toEqual(['another question', 'another answer', 'later']);
  });

  it('counts with the counter it is given', async () => {
    await turn('hello there', 'hi');
    const now = await current('now');
    const doubled = { ...ESTIMATE_COUNTER, count: (text: string) => 2 * ESTIMATE_COUNTER.count(text) };
    const plain = await buildContext(storage, 't', now, { systemPrompt: 'sys', budgetTokens: 1000 });
    const heavy = await buildContext(storage, 't', now, { systemPrompt: 'sys', budgetTokens: 1000, counter: doubled });
    expect(heavy.tokens).toBeGreaterThan(plain.tokens);
  });
});

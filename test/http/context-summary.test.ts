import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_INSTRUCTIONS_START, SUMMARY_NOTE_START } from '../../src/core/context/rolling-summary.ts';
import type { TokenCounter } from '../../src/core/context/token-counter.ts';
import { tiktokenCounter } from '../../src/providers/token-counting.ts';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// Over 2,000 turns on one session, against a fake OpenAI Chat Completions server that records every
// request body: the prompt Enclave sends stays within the tenant's budget by the model's own
// tokenizer (o200k_base for gpt-4o-mini), carries the rolling summary and the newest turns, and the
// summary is updated incrementally (each turn summarised once, never the whole history again).
// The 2,000-turn run is the embedded default's; on PostgreSQL (the same logic over another store's
// context reads) 400 turns go through many summary cycles too, at a fifth of the suite's time.
const TURNS = process.env.ENCLAVE_TEST_DIALECT === 'postgres' ? 400 : 2_000;
const BUDGET = 600;
const REPLY = 'Hello from the fake OpenAI chat model.';

type ChatMessage = { role: string; content: string | { type: string; text?: string }[] };
type ChatBody = { messages: ChatMessage[] };

const textOf = (message: ChatMessage): string =>
  typeof message.content === 'string' ? message.content : message.content.map((part) => part.text ?? '').join('');

const userText = (turn: number) =>
  `Turn ${String(turn).padStart(4, '0')}: please remember the code word w${turn * 7919}.`;

let h: ProviderHarness;
let key: string;
let counter: TokenCounter;
beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [{ id: 'llm', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }],
    { TEST_OPENAI_KEY: 'sk-platform-openai' },
  );
  ({ key } = await h.tenant('long', { model: { provider: 'llm', id: 'gpt-4o-mini' }, contextBudgetTokens: BUDGET }));
  counter = await tiktokenCounter('o200k_base');
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('context management over a long session', () => {
  it(`${TURNS} turns: every prompt under budget, with the summary and the newest turns; the summary is incremental`, {
    timeout: 600_000,
  }, async () => {
    // Every answer, turn or summary, is the same recorded completion; more than will be asked for.
    h.fake.script(...Array.from({ length: TURNS * 2 }, () => ({ fixture: 'openai-chat-text' })));
    const session = (await h.call('POST', '/v1/sessions', {}, { token: key })).body.id as string;
    for (let turn = 1; turn <= TURNS; turn++) {
      const response = await h.call(
        'POST',
        `/v1/sessions/${session}/messages`,
        { content: userText(turn) },
        { token: key },
      );
      expect(response.status, response.text).toBe(200);
    }

    const bodies = h.fake.requests.map((request) => request.body as ChatBody);
    const isSummary = (body: ChatBody) =>
      textOf(body.messages[0] as ChatMessage).startsWith(SUMMARY_INSTRUCTIONS_START);
    const turns = bodies.filter((body) => !isSummary(body));
    const summaries = bodies.filter(isSummary);
    expect(turns).toHaveLength(TURNS);

    let withSummary = 0;
    for (const [index, body] of turns.entries()) {
      const turn = index + 1;
      // The prompt's size by the model's tokenizer: every message's text and framing, and the reply's priming.
      const tokens = body.messages.reduce((sum, message) => sum + counter.count(textOf(message)) + 3, 3);
      expect(tokens, `turn ${turn}`).toBeLessThanOrEqual(BUDGET);
      const texts = body.messages.map(textOf);
      expect(texts.at(-1)).toBe(userText(turn));
      if (turn > 1) expect(texts.slice(0, -1), `turn ${turn}`).toContain(userText(turn - 1));
      if (texts.some((text) => text.startsWith(SUMMARY_NOTE_START))) withSummary++;
    }
    // Once the history outgrew the budget, every prompt carries the summary.
    const firstWith = turns.findIndex((body) =>
      body.messages.some((message) => textOf(message).startsWith(SUMMARY_NOTE_START)),
    );
    expect(firstWith).toBeGreaterThan(0);
    expect(withSummary).toBe(TURNS - firstWith);

    // Not every turn: one summary per several turns. Incremental: each user message is in exactly one
    // summarisation request (none is summarised twice), and each request after the first builds on
    // the previous summary.
    expect(summaries.length).toBeGreaterThan(TURNS / 20);
    expect(summaries.length).toBeLessThan(TURNS / 3);
    const summarised = new Map<number, number>();
    for (const [index, body] of summaries.entries()) {
      const request = textOf(body.messages[1] as ChatMessage);
      expect(request).toContain(index === 0 ? '<previous-summary>\n(none)' : `<previous-summary>\n${REPLY}`);
      for (const match of request.matchAll(/^user: Turn (\d{4}):/gm)) {
        const turn = Number(match[1]);
        summarised.set(turn, (summarised.get(turn) ?? 0) + 1);
      }
    }
    expect([...summarised.values()].every((count) => count === 1)).toBe(true);
    // Everything but the newest turns (still in the window, or in the overflow below the threshold) was summarised.
    expect(summarised.size).toBeGreaterThan(TURNS - 40);

    // The cost of each summary is in the usage ledger, as records of their own.
    const records = await h.call('GET', '/v1/usage/records?limit=100', undefined, { token: key });
    expect(records.body.data.some((record: { status: string }) => record.status === 'summary')).toBe(true);
  });

  it('on the simulated model: a deterministic summary, stored durably, exported, and charged as usage', {
    timeout: 120_000,
  }, async () => {
    const { key: simulated } = await h.tenant('offline', { contextBudgetTokens: 300 });
    const session = (await h.call('POST', '/v1/sessions', {}, { token: simulated })).body.id as string;
    for (let turn = 1; turn <= 60; turn++) {
      const response = await h.call(
        'POST',
        `/v1/sessions/${session}/messages`,
        { content: userText(turn) },
        { token: simulated },
      );
      expect(response.status, response.text).toBe(200);
      // The reply keeps the simulated format: the summary never shows up as an earlier user message.
      expect(response.body.reply.content[0].text).toMatch(/^Agent response to 'Turn \d{4}: .*' with context: /);
    }
    const exported = await h.call('GET', '/v1/admin/tenants/offline/export');
    const rows = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table: string; row: Record<string, unknown> });
    const summaries = rows.filter((entry) => entry.table === 'session_summaries').map((entry) => entry.row);
    expect(summaries.length).toBeGreaterThan(2);
    const newest = summaries.at(-1) as { text: string; model: string; up_to_seq: number };
    expect(newest.model).toBe('simulated:simulated-1');
    // Incremental and deterministic: the newest keeps the earlier summaries' newest items and adds later turns.
    expect(newest.text).toMatch(/^The user said: Turn \d{4}: please remember/);
    expect(newest.text.length).toBeLessThanOrEqual(600);
    const usage = rows.filter((entry) => entry.table === 'usage_records' && entry.row.status === 'summary');
    expect(usage).toHaveLength(summaries.length);
  });
});

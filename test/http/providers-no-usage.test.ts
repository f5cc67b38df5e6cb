import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESTIMATE_COUNTER } from '../../src/core/context/token-counter.ts';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// An OpenAI-compatible server that reports no usage (no usage chunk in a stream, no `usage` in a
// JSON answer): a turn must still be charged, counted by Enclave and marked estimated.
let h: ProviderHarness;
let key: string;
const REPLY = 'Hello from the fake OpenAI chat model.';

beforeAll(async () => {
  h = await startProviderHarness((url) => [{ id: 'quiet', type: 'openai-compatible', baseUrl: `${url}/v1` }]);
  ({ key } = await h.tenant('no-usage', { model: { provider: 'quiet', id: 'llama-3.1-8b-instruct' } }));
});
afterAll(async () => {
  await h.close();
});

type Record = {
  turn_id: string;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  estimated: boolean;
};

async function usageRecords(): Promise<Record[]> {
  const response = await h.call('GET', '/v1/usage/records', undefined, { token: key });
  expect(response.status).toBe(200);
  return response.body.data as Record[];
}

describe('a provider that reports no usage', () => {
  it.each([
    ['streamed', true],
    ['JSON', false],
  ])('charges a %s turn with counted tokens and marks its usage record estimated', async (_mode, stream) => {
    h.fake.script({ fixture: 'openai-chat-no-usage' });
    const turn = await h.turn(key, 'Say hello', { stream });
    expect(turn.status).toBe(200);
    const usage = stream ? turn.events.find((event) => event.event === 'turn-end')?.data.usage : turn.body.usage;
    const outputTokens = ESTIMATE_COUNTER.count(REPLY);
    expect(usage.output_tokens).toBe(outputTokens);
    expect(usage.input_tokens).toBeGreaterThan(ESTIMATE_COUNTER.count('Say hello'));
    expect(usage.total_tokens).toBe(usage.input_tokens + outputTokens);
    const turnId = stream ? turn.events.find((event) => event.event === 'turn-end')?.data.turn_id : turn.body.turn_id;
    const record = (await usageRecords()).find((entry) => entry.turn_id === turnId);
    expect(record).toMatchObject({
      estimated: true,
      input_tokens: usage.input_tokens,
      output_tokens: outputTokens,
      total_tokens: usage.total_tokens,
    });
  });

  it('keeps the provider’s counts, unmarked, when it reports them; the export carries the flag', async () => {
    h.fake.script({ fixture: 'openai-chat-text' });
    const turn = await h.turn(key, 'Say hello', { stream: true });
    const turnId = turn.events.find((event) => event.event === 'turn-end')?.data.turn_id;
    const record = (await usageRecords()).find((entry) => entry.turn_id === turnId);
    expect(record).toMatchObject({ estimated: false, input_tokens: 19, output_tokens: 9, total_tokens: 28 });

    const exported = await h.call('GET', '/v1/admin/tenants/no-usage/export');
    expect(exported.status).toBe(200);
    const rows = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { table: string; row: { turn_id?: string; estimated?: unknown } })
      .filter((entry) => entry.table === 'usage_records');
    expect(rows).toHaveLength(3);
    expect(rows.map((entry) => Number(entry.row.estimated)).sort()).toEqual([0, 1, 1]);
  });
});

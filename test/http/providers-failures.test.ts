import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

let h: ProviderHarness;
let openai: string;
let anthropic: string;
beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [
      { id: 'openai', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' },
      { id: 'anthropic', type: 'anthropic', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_ANTHROPIC_KEY' },
    ],
    { TEST_OPENAI_KEY: 'sk-openai', TEST_ANTHROPIC_KEY: 'sk-ant', PROVIDER_TIMEOUT_MS: '400' },
  );
  ({ key: openai } = await h.tenant('fails-openai', { model: { provider: 'openai', id: 'gpt-4o-mini' } }));
  ({ key: anthropic } = await h.tenant('fails-anthropic', {
    model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514' },
  }));
});
afterAll(async () => {
  await h.close();
});

async function storedTurn(key: string, sessionId: string) {
  const stored = await h.call('GET', `/v1/sessions/${sessionId}/messages`, undefined, { token: key });
  return stored.body.data as { role: string; status: string; content: { text?: string }[] }[];
}

describe('provider failures', () => {
  it('passes a provider 429 on as 429 PROVIDER_RATE_LIMITED with its Retry-After', async () => {
    h.fake.script({
      status: 429,
      headers: { 'retry-after': '17' },
      body: { error: { message: 'Rate limit reached for gpt-4o-mini', type: 'requests', code: 'rate_limit_exceeded' } },
    });
    const turn = await h.turn(openai, 'Hello');
    expect(turn.status).toBe(429);
    expect(turn.body.code).toBe('PROVIDER_RATE_LIMITED');
    expect(turn.headers.get('retry-after')).toBe('17');
    expect((await storedTurn(openai, turn.sessionId)).map((message) => message.status)).toEqual([
      'completed',
      'failed',
    ]);
  });

  it('answers a refused key (401) with 502 PROVIDER_REJECTED, never blaming the caller with a 401', async () => {
    h.fake.script({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    });
    const turn = await h.turn(anthropic, 'Hello');
    expect(turn.status).toBe(502);
    expect(turn.body.code).toBe('PROVIDER_REJECTED');
    expect(turn.body.detail).toContain('HTTP 401');
  });

  it('times out a call that takes longer than PROVIDER_TIMEOUT_MS with 504 PROVIDER_TIMEOUT', async () => {
    h.fake.script({ fixture: 'openai-chat-text', delayMs: 5_000 });
    const turn = await h.turn(openai, 'Slow, please');
    expect(turn.status).toBe(504);
    expect(turn.body.code).toBe('PROVIDER_TIMEOUT');
    expect((await storedTurn(openai, turn.sessionId)).map((message) => message.status)).toEqual([
      'completed',
      'failed',
    ]);
  });

  it('keeps the partial reply as failed when the stream is cut mid-token, and says so in the stream', async () => {
    h.fake.script({ fixture: 'openai-chat-text', cutAfterEvents: 3 });
    const turn = await h.turn(openai, 'Stream and break', { stream: true });
    expect(turn.status).toBe(200);
    const deltas = turn.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe('Hello from the');
    expect(turn.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_ERROR' } });
    const stored = await storedTurn(openai, turn.sessionId);
    expect(stored.map((message) => [message.role, message.status])).toEqual([
      ['user', 'completed'],
      ['assistant', 'failed'],
    ]);
    expect(stored[1]?.content[0]?.text).toBe('Hello from the');
  });

  it('fails the turn on a malformed stream chunk (Anthropic), keeping what came before', async () => {
    h.fake.script({ fixture: 'anthropic-text', malformedEvent: 4 });
    const turn = await h.turn(anthropic, 'Stream with a bad chunk', { stream: true });
    expect(turn.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_ERROR' } });
    const stored = await storedTurn(anthropic, turn.sessionId);
    expect(stored[1]).toMatchObject({ role: 'assistant', status: 'failed' });
    expect(stored[1]?.content[0]?.text).toBe('Hello');
  });

  it('answers a JSON turn whose provider body does not parse with 502 PROVIDER_ERROR', async () => {
    h.fake.script({ status: 200, body: '{"id": "chatcmpl-x", "choices": [' });
    const turn = await h.turn(openai, 'Broken body');
    expect(turn.status).toBe(502);
    expect(turn.body.code).toBe('PROVIDER_ERROR');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// Any promise rejection nobody handled fails this file, on top of vitest's own report.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);

const openaiChat = (url: string) => [
  { id: 'openai', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' },
];
const SERVER_ERROR = { status: 500, body: { error: { message: 'The server had an error', type: 'server_error' } } };
const RATE_LIMITED = (retryAfter: string) => ({
  status: 429,
  headers: { 'retry-after': retryAfter },
  body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
});

let h: ProviderHarness;
let key: string;
let breakerHarness: ProviderHarness;
let breakerKey: string;

beforeAll(async () => {
  // A breaker threshold out of reach: these tests are about retries alone.
  h = await startProviderHarness(openaiChat, {
    TEST_OPENAI_KEY: 'sk-faults',
    PROVIDER_TIMEOUT_MS: '3000',
    PROVIDER_MAX_RETRIES: '2',
    PROVIDER_BREAKER_THRESHOLD: '1000',
  });
  ({ key } = await h.tenant('faults', { model: { provider: 'openai', id: 'gpt-4o-mini' } }));
  breakerHarness = await startProviderHarness(openaiChat, {
    TEST_OPENAI_KEY: 'sk-breaker',
    PROVIDER_MAX_RETRIES: '0',
    PROVIDER_BREAKER_THRESHOLD: '3',
    PROVIDER_BREAKER_COOLDOWN_MS: '1500',
  });
  ({ key: breakerKey } = await breakerHarness.tenant('breaker', { model: { provider: 'openai', id: 'gpt-4o-mini' } }));
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h.close();
  await breakerHarness.close();
  expect(unhandled).toEqual([]);
});

async function stored(harness: ProviderHarness, token: string, sessionId: string) {
  const response = await harness.call('GET', `/v1/sessions/${sessionId}/messages`, undefined, { token });
  return (response.body.data as { role: string; status: string; content: { text?: string }[] }[]).map((message) => ({
    role: message.role,
    status: message.status,
    text: message.content.map((part) => part.text ?? '').join(''),
  }));
}

async function metric(harness: ProviderHarness, name: string): Promise<string | undefined> {
  const text = (await harness.call('GET', '/metrics')).text;
  return text.split('\n').find((line) => line.startsWith(name));
}

describe('provider faults: retries', () => {
  it('answers 504 PROVIDER_TIMEOUT when the provider is silent past PROVIDER_TIMEOUT_MS, without retrying', async () => {
    const before = h.fake.requests.length;
    h.fake.script({ fixture: 'openai-chat-text', delayMs: 10_000 });
    const turn = await h.turn(key, 'Slow, please');
    expect(turn.status).toBe(504);
    expect(turn.body.code).toBe('PROVIDER_TIMEOUT');
    expect(h.fake.requests.length - before).toBe(1);
    expect(await stored(h, key, turn.sessionId)).toEqual([
      { role: 'user', status: 'completed', text: 'Slow, please' },
      { role: 'assistant', status: 'failed', text: '' },
    ]);
  });

  it('retries a 500 and answers with the second attempt (JSON turn)', async () => {
    const before = h.fake.requests.length;
    h.fake.script(SERVER_ERROR, { fixture: 'openai-chat-text' });
    const turn = await h.turn(key, 'Retry me');
    expect(turn.status).toBe(200);
    expect(turn.body.reply.content[0].text).toBe('Hello from the fake OpenAI chat model.');
    expect(h.fake.requests.length - before).toBe(2);
    expect((await stored(h, key, turn.sessionId)).map((message) => message.status)).toEqual(['completed', 'completed']);
  });

  it('retries a 500 before a stream started, and streams the answer once', async () => {
    const before = h.fake.requests.length;
    h.fake.script(SERVER_ERROR, { fixture: 'openai-chat-text' });
    const turn = await h.turn(key, 'Retry my stream', { stream: true });
    expect(h.fake.requests.length - before).toBe(2);
    const deltas = turn.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe('Hello from the fake OpenAI chat model.');
    expect(turn.events.map((event) => event.event)).not.toContain('turn-error');
    expect(turn.events.at(-1)?.event).toBe('turn-end');
  });

  it('retries a stream cut before any output on a new connection, without duplicating anything', async () => {
    const before = h.fake.requests.length;
    h.fake.script({ fixture: 'openai-chat-text', cutAfterEvents: 0 }, { fixture: 'openai-chat-text' });
    const turn = await h.turn(key, 'Cut early', { stream: true });
    expect(h.fake.requests.length - before).toBe(2);
    const deltas = turn.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe('Hello from the fake OpenAI chat model.');
    expect(turn.events.at(-1)?.event).toBe('turn-end');
  });

  it('answers 502 PROVIDER_ERROR once every retry got a 500 too', async () => {
    const before = h.fake.requests.length;
    h.fake.script(SERVER_ERROR, SERVER_ERROR, SERVER_ERROR);
    const turn = await h.turn(key, 'Always failing');
    expect(turn.status).toBe(502);
    expect(turn.body.code).toBe('PROVIDER_ERROR');
    expect(h.fake.requests.length - before).toBe(3);
    expect(h.fake.pending()).toBe(0);
    expect((await stored(h, key, turn.sessionId)).map((message) => message.status)).toEqual(['completed', 'failed']);
  });

  it('waits out a 429 Retry-After of 1 s, then succeeds', async () => {
    const before = h.fake.requests.length;
    h.fake.script(RATE_LIMITED('1'), { fixture: 'openai-chat-text' });
    const turn = await h.turn(key, 'Rate limited once');
    expect(turn.status).toBe(200);
    const [limited, retried] = h.fake.requests.slice(before);
    expect(h.fake.requests.length - before).toBe(2);
    // A lower bound the retry guarantees (it honours Retry-After), not a speed measurement.
    expect((retried?.receivedAt ?? 0) - (limited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('gives up at once with 429 PROVIDER_RATE_LIMITED and its Retry-After when the wait exceeds the deadline', async () => {
    const before = h.fake.requests.length;
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    h.fake.script(RATE_LIMITED('60'), RATE_LIMITED(inTwoMinutes));
    const turn = await h.turn(key, 'Rate limited for long');
    expect(turn.status).toBe(429);
    expect(turn.body.code).toBe('PROVIDER_RATE_LIMITED');
    expect(turn.headers.get('retry-after')).toBe('60');
    expect(h.fake.requests.length - before).toBe(1);
    // An HTTP-date Retry-After reaches the client in seconds.
    const dated = await h.turn(key, 'Rate limited until a date');
    expect(dated.status).toBe(429);
    expect(Number(dated.headers.get('retry-after'))).toBeGreaterThan(100);
    expect(h.fake.requests.length - before).toBe(2);
    expect((await stored(h, key, turn.sessionId)).map((message) => message.status)).toEqual(['completed', 'failed']);
  });

  it('never retries a stream cut after output: the error event ends it and the partial reply is stored failed', async () => {
    const before = h.fake.requests.length;
    h.fake.script({ fixture: 'openai-chat-text', cutAfterEvents: 3 });
    const turn = await h.turn(key, 'Cut mid-token', { stream: true });
    expect(turn.status).toBe(200);
    expect(h.fake.requests.length - before).toBe(1);
    const deltas = turn.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe('Hello from the');
    expect(turn.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_ERROR' } });
    expect(await stored(h, key, turn.sessionId)).toEqual([
      { role: 'user', status: 'completed', text: 'Cut mid-token' },
      { role: 'assistant', status: 'failed', text: 'Hello from the' },
    ]);
  });

  it('fails a stream with a malformed JSON chunk: error event, partial reply stored failed, no retry', async () => {
    const before = h.fake.requests.length;
    h.fake.script({ fixture: 'openai-chat-text', malformedEvent: 2 });
    const turn = await h.turn(key, 'Bad chunk', { stream: true });
    expect(h.fake.requests.length - before).toBe(1);
    expect(turn.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_ERROR' } });
    expect(await stored(h, key, turn.sessionId)).toEqual([
      { role: 'user', status: 'completed', text: 'Bad chunk' },
      { role: 'assistant', status: 'failed', text: 'Hello' },
    ]);
  });

  it('leaves no stream open and no scripted answer unused', async () => {
    expect(await metric(h, 'enclave_active_streams')).toBe('enclave_active_streams 0');
    expect(h.fake.pending()).toBe(0);
  });
});

describe('provider faults: circuit breaker', () => {
  const b = () => breakerHarness;
  const state = () => metric(b(), 'enclave_provider_circuit_state{provider="openai"}');

  it('opens after the threshold, answers 503 PROVIDER_UNAVAILABLE without calling the provider, then recovers', async () => {
    expect(await state()).toBe('enclave_provider_circuit_state{provider="openai"} 0');
    b().fake.script(SERVER_ERROR, SERVER_ERROR, SERVER_ERROR);
    for (let i = 0; i < 3; i++) {
      const failed = await b().turn(breakerKey, `Failure ${i}`);
      expect(failed.body.code).toBe('PROVIDER_ERROR');
    }
    expect(await state()).toBe('enclave_provider_circuit_state{provider="openai"} 2');

    const calls = b().fake.requests.length;
    const refused = await b().turn(breakerKey, 'While open');
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('PROVIDER_UNAVAILABLE');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const streamed = await b().turn(breakerKey, 'While open, streaming', { stream: true });
    expect(streamed.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(b().fake.requests.length).toBe(calls);
    expect(await stored(b(), breakerKey, refused.sessionId)).toEqual([
      { role: 'user', status: 'completed', text: 'While open' },
      { role: 'assistant', status: 'failed', text: '' },
    ]);

    // After the cooldown one trial call goes through; its success closes the circuit.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await state()).toBe('enclave_provider_circuit_state{provider="openai"} 1');
    b().fake.script({ fixture: 'openai-chat-text' });
    const recovered = await b().turn(breakerKey, 'After the cooldown');
    expect(recovered.status).toBe(200);
    expect(b().fake.requests.length).toBe(calls + 1);
    expect(await state()).toBe('enclave_provider_circuit_state{provider="openai"} 0');
  });

  it('does not count a refusal of the request (4xx) as an endpoint failure', async () => {
    const rejected = { status: 400, body: { error: { message: 'context too long', type: 'invalid_request_error' } } };
    b().fake.script(rejected, rejected, rejected, rejected);
    for (let i = 0; i < 4; i++)
      expect((await b().turn(breakerKey, `Bad input ${i}`)).body.code).toBe('PROVIDER_REJECTED');
    expect(await state()).toBe('enclave_provider_circuit_state{provider="openai"} 0');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';
import { connectSse } from '../helpers/sse-client.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are parsed JSON that tests assert field by field.
type Json = any;

const provider = (url: string) => [
  { id: 'llm', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' },
];
const MODEL = { model: { provider: 'llm', id: 'gpt-4o-mini' } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: ProviderHarness;

/** A turn request with an Idempotency-Key, as a client sends it; the body is parsed when JSON. */
async function send(
  path: string,
  body: unknown,
  options: { token: string; key?: string; accept?: string },
): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const response = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token}`,
      'content-type': 'application/json',
      ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
      ...(options.accept ? { accept: options.accept } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Json = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

async function newSession(token: string): Promise<string> {
  return (await h.call('POST', '/v1/sessions', {}, { token })).body.id;
}

async function messagesOf(token: string, session: string): Promise<Json[]> {
  return (await h.call('GET', `/v1/sessions/${session}/messages?limit=100`, undefined, { token })).body.data;
}

async function turnsCharged(token: string): Promise<number> {
  const usage = await h.call('GET', '/v1/usage?group_by=model', undefined, { token });
  return usage.body.data.reduce((total: number, row: Json) => total + row.turns, 0);
}

let alpha: string;
let alphaOther: string;
let beta: string;

beforeAll(async () => {
  h = await startProviderHarness(provider, {
    TEST_OPENAI_KEY: 'sk-platform',
    PROVIDER_MAX_RETRIES: '0',
    IDEMPOTENCY_WAIT_MS: '20000',
  });
  ({ key: alpha } = await h.tenant('idem-alpha', MODEL));
  alphaOther = (await h.call('POST', '/v1/admin/tenants/idem-alpha/keys', { name: 'other' })).body.key;
  ({ key: beta } = await h.tenant('idem-beta', MODEL));
});
afterAll(async () => {
  await h?.close();
});

describe('Idempotency-Key on POST /v1/sessions/{id}/messages', () => {
  it('20 parallel retries with one key run the model once, charge once, and all get the same response', async () => {
    const session = await newSession(alpha);
    // The one model call is slow, so the retries arrive while it is still in flight.
    h.fake.script({ fixture: 'openai-chat-text', delayMs: 300 });
    const before = h.fake.requests.length;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        send(`/v1/sessions/${session}/messages`, { content: 'Hello once' }, { token: alpha, key: 'order-42' }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(h.fake.requests.length - before).toBe(1);
    const first = responses[0] as { text: string; body: Json };
    for (const response of responses) expect(response.text).toBe(first.text);
    expect(first.body.reply.content[0].text).toBe('Hello from the fake OpenAI chat model.');
    const replayed = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(19);

    const messages = await messagesOf(alpha, session);
    expect(messages.map((message) => [message.seq, message.role])).toEqual([
      [1, 'user'],
      [2, 'assistant'],
    ]);
    expect(await turnsCharged(alpha)).toBe(1);

    // Later retries, in any key order of the body, replay the same response.
    const late = await send(
      `/v1/sessions/${session}/messages`,
      { content: 'Hello once' },
      { token: alpha, key: 'order-42' },
    );
    expect([late.status, late.text]).toEqual([200, first.text]);
    expect(h.fake.requests.length - before).toBe(1);
  });

  it('the same key with another body, another session or another credential of the tenant gets 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const session = await newSession(alpha);
    h.fake.script({ fixture: 'openai-chat-text' });
    const first = await send(`/v1/sessions/${session}/messages`, { content: 'one' }, { token: alpha, key: 'k-reuse' });
    expect(first.status).toBe(200);
    const calls = h.fake.requests.length;
    const otherBody = await send(
      `/v1/sessions/${session}/messages`,
      { content: 'two' },
      { token: alpha, key: 'k-reuse' },
    );
    const otherSession = await send(
      `/v1/sessions/${await newSession(alpha)}/messages`,
      { content: 'one' },
      { token: alpha, key: 'k-reuse' },
    );
    const otherKey = await send(
      `/v1/sessions/${session}/messages`,
      { content: 'one' },
      { token: alphaOther, key: 'k-reuse' },
    );
    for (const conflict of [otherBody, otherSession, otherKey]) {
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(conflict.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      // The conflict answer never carries the stored response.
      expect(conflict.text).not.toContain('Hello from the fake');
    }
    expect(h.fake.requests.length).toBe(calls);
    expect(await messagesOf(alpha, session)).toHaveLength(2);
  });

  it('keys are per tenant: another tenant with the same key and body runs its own turn and never sees the first', async () => {
    const sessionA = await newSession(alpha);
    const sessionB = await newSession(beta);
    h.fake.script({ fixture: 'openai-chat-text' }, { fixture: 'openai-chat-text' });
    const a = await send(`/v1/sessions/${sessionA}/messages`, { content: 'same' }, { token: alpha, key: 'shared-key' });
    const b = await send(`/v1/sessions/${sessionB}/messages`, { content: 'same' }, { token: beta, key: 'shared-key' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.turn_id).not.toBe(a.body.turn_id);
    expect(b.body.user_message.session_id).toBe(sessionB);
    // Beta's key with alpha's session id is simply beta asking about a session it does not have.
    const probe = await send(
      `/v1/sessions/${sessionA}/messages`,
      { content: 'same' },
      { token: beta, key: 'shared-key' },
    );
    expect([probe.status, probe.body.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
    expect(probe.text).not.toContain(a.body.turn_id);
  });

  it('refuses a malformed key with 422 problem+json, before anything runs', async () => {
    const session = await newSession(alpha);
    const calls = h.fake.requests.length;
    for (const key of ['', 'x'.repeat(256)]) {
      const response = await send(`/v1/sessions/${session}/messages`, { content: 'hi' }, { token: alpha, key });
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.detail).toContain('idempotency-key');
    }
    expect(h.fake.requests.length).toBe(calls);
    expect(await messagesOf(alpha, session)).toEqual([]);
  });

  it('a streamed turn is replayed to a retry: as SSE (turn-start, turn-end) or as JSON, without a second model call', async () => {
    const session = await newSession(alpha);
    h.fake.script({ fixture: 'openai-chat-text' });
    const calls = h.fake.requests.length;
    const live = await connectSse(`${h.url}/v1/sessions/${session}/messages`, {
      headers: { authorization: `Bearer ${alpha}`, 'idempotency-key': 'stream-1' },
      body: { content: 'stream me' },
    });
    const liveEvents = await live.rest();
    const liveEnd = liveEvents.at(-1);
    expect(liveEnd?.event).toBe('turn-end');

    const again = await connectSse(`${h.url}/v1/sessions/${session}/messages`, {
      headers: { authorization: `Bearer ${alpha}`, 'idempotency-key': 'stream-1' },
      body: { content: 'stream me' },
    });
    const replayed = await again.rest();
    expect(replayed.map((event) => event.event)).toEqual(['turn-start', 'turn-end']);
    expect(replayed[0]?.data.turn_id).toBe(liveEvents[0]?.data.turn_id);
    expect(replayed[0]?.data.session_id).toBe(session);
    expect(replayed[1]?.data.messages).toEqual(liveEnd?.data.messages);

    const json = await send(
      `/v1/sessions/${session}/messages`,
      { content: 'stream me' },
      { token: alpha, key: 'stream-1' },
    );
    expect(json.status).toBe(200);
    expect(json.body.turn_id).toBe(liveEvents[0]?.data.turn_id);
    expect(json.body.reply.content[0].text).toBe('Hello from the fake OpenAI chat model.');
    expect(h.fake.requests.length - calls).toBe(1);
  });

  it('a background turn replays its 202 to a retry (while it runs and after): the same turn, one model call', async () => {
    const session = await newSession(alpha);
    // Slow, so the first retry arrives while the turn is still running.
    h.fake.script({ fixture: 'openai-chat-text', delayMs: 300 });
    const calls = h.fake.requests.length;
    const body = { content: 'in the background', background: true };
    const first = await send(`/v1/sessions/${session}/messages`, body, { token: alpha, key: 'background-1' });
    expect([first.status, first.body.status]).toEqual([202, 'running']);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const whileRunning = await send(`/v1/sessions/${session}/messages`, body, { token: alpha, key: 'background-1' });
    expect(whileRunning.status).toBe(202);
    expect(whileRunning.headers.get('idempotent-replayed')).toBe('true');
    expect(whileRunning.text).toBe(first.text);

    const turn = first.body.turn_id;
    await expect
      .poll(async () => (await h.call('GET', `/v1/turns/${turn}`, undefined, { token: alpha })).body.status)
      .toBe('completed');
    // Asking for a stream changes nothing: a 202 is replayed as it was sent.
    const after = await send(`/v1/sessions/${session}/messages`, body, {
      token: alpha,
      key: 'background-1',
      accept: 'text/event-stream',
    });
    expect([after.status, after.body.turn_id, after.text]).toEqual([202, turn, first.text]);
    expect(h.fake.requests.length - calls).toBe(1);
    expect((await messagesOf(alpha, session)).filter((message) => message.role === 'user')).toHaveLength(1);
  });

  it('a retryable provider failure releases the key: the retry runs the turn; the failed attempt is kept uncharged', async () => {
    const session = await newSession(alpha);
    h.fake.script({ status: 500, body: { error: { message: 'boom' } } }, { fixture: 'openai-chat-text' });
    const charged = await turnsCharged(alpha);
    const failed = await send(`/v1/sessions/${session}/messages`, { content: 'try' }, { token: alpha, key: 'flaky' });
    expect([failed.status, failed.body.code]).toEqual([502, 'PROVIDER_ERROR']);
    const retried = await send(`/v1/sessions/${session}/messages`, { content: 'try' }, { token: alpha, key: 'flaky' });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const again = await send(`/v1/sessions/${session}/messages`, { content: 'try' }, { token: alpha, key: 'flaky' });
    expect([again.status, again.body.turn_id]).toEqual([200, retried.body.turn_id]);
    const statuses = (await messagesOf(alpha, session)).map((message) => [message.role, message.status]);
    expect(statuses).toEqual([
      ['user', 'completed'],
      ['assistant', 'failed'],
      ['user', 'completed'],
      ['assistant', 'completed'],
    ]);
    expect(await turnsCharged(alpha)).toBe(charged + 1);
  });
});

describe('Idempotency-Key on POST /agent/interact', () => {
  it('answers a retry with exactly the original response shape, without a second model call', async () => {
    h.fake.script({ fixture: 'openai-chat-text', delayMs: 100 });
    const calls = h.fake.requests.length;
    const body = { tenant_id: 'idem-alpha', message: 'legacy hello' };
    const [first, second] = await Promise.all([
      send('/agent/interact', body, { token: alpha, key: 'legacy-1' }),
      send('/agent/interact', body, { token: alpha, key: 'legacy-1' }),
    ]);
    expect(first?.status).toBe(200);
    expect(first?.body).toEqual({ tenant_id: 'idem-alpha', response: 'Hello from the fake OpenAI chat model.' });
    expect(second?.text).toBe(first?.text);
    expect(h.fake.requests.length - calls).toBe(1);
    const history = await h.call('GET', '/agent/history/idem-alpha', undefined, { token: alpha });
    expect(history.body.history.filter((item: Json) => item.message === 'legacy hello')).toHaveLength(1);
    const other = await send('/agent/interact', { ...body, message: 'other' }, { token: alpha, key: 'legacy-1' });
    expect([other.status, other.body.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('without the header behaves exactly as before', async () => {
    h.fake.script({ fixture: 'openai-chat-text' }, { fixture: 'openai-chat-text' });
    const body = { tenant_id: 'idem-alpha', message: 'no key' };
    const calls = h.fake.requests.length;
    const first = await send('/agent/interact', body, { token: alpha });
    const second = await send('/agent/interact', body, { token: alpha });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(h.fake.requests.length - calls).toBe(2);
  });
});

describe('Idempotency-Key lifetime and waiting', () => {
  let short: ProviderHarness;
  let token: string;
  const sendShort = async (session: string, content: string, key: string) => {
    const saved = h;
    h = short;
    try {
      return await send(`/v1/sessions/${session}/messages`, { content }, { token, key });
    } finally {
      h = saved;
    }
  };

  beforeAll(async () => {
    short = await startProviderHarness(provider, {
      TEST_OPENAI_KEY: 'sk-platform',
      PROVIDER_MAX_RETRIES: '0',
      IDEMPOTENCY_TTL_MS: '1500',
      IDEMPOTENCY_WAIT_MS: '100',
    });
    ({ key: token } = await short.tenant('idem-short', MODEL));
  });
  afterAll(async () => {
    await short?.close();
  });

  it('a retry that outwaits IDEMPOTENCY_WAIT_MS gets 409 IDEMPOTENCY_IN_PROGRESS with Retry-After, then the result', async () => {
    const session = (await short.call('POST', '/v1/sessions', {}, { token })).body.id;
    short.fake.script({ fixture: 'openai-chat-text', delayMs: 700 });
    const first = sendShort(session, 'slow', 'slow-key');
    await sleep(150);
    const early = await sendShort(session, 'slow', 'slow-key');
    expect([early.status, early.body.code]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
    expect(early.headers.get('retry-after')).toBe('1');
    const done = await first;
    expect(done.status).toBe(200);
    const late = await sendShort(session, 'slow', 'slow-key');
    expect([late.status, late.text]).toEqual([200, done.text]);
    expect(short.fake.requests).toHaveLength(1);
  });

  it('an expired key can be used again, for any request', async () => {
    const session = (await short.call('POST', '/v1/sessions', {}, { token })).body.id;
    short.fake.script({ fixture: 'openai-chat-text' }, { fixture: 'openai-chat-text' });
    const first = await sendShort(session, 'first', 'ttl-key');
    expect(first.status).toBe(200);
    expect((await sendShort(session, 'second', 'ttl-key')).status).toBe(409);
    await sleep(1600);
    const reused = await sendShort(session, 'second', 'ttl-key');
    expect(reused.status).toBe(200);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    expect(reused.body.turn_id).not.toBe(first.body.turn_id);
  });
});

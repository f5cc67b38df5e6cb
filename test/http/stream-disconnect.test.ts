import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

let h: ProviderHarness;
let key: string;
beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [{ id: 'openai', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }],
    // No grace: a client that leaves cancels at once. Heartbeats every 50 ms on idle streams.
    { TEST_OPENAI_KEY: 'sk-openai', STREAM_DISCONNECT_GRACE_MS: '0', STREAM_HEARTBEAT_MS: '50' },
  );
  ({ key } = await h.tenant('disconnect-openai', { model: { provider: 'openai', id: 'gpt-4o-mini' } }));
});
afterAll(async () => {
  await h.close();
});

const headers = () => ({ authorization: `Bearer ${key}` });

async function newSession(): Promise<string> {
  return (await h.call('POST', '/v1/sessions', {}, { token: key })).body.id as string;
}

/** Reads events until one of type `type` arrives. */
async function until(stream: Awaited<ReturnType<typeof connectSse>>, type: string): Promise<SseMessage[]> {
  const events: SseMessage[] = [];
  for (;;) {
    const event = (await stream.next()) as SseMessage;
    events.push(event);
    if (event.event === type) return events;
  }
}

describe('streams against a provider that stalls mid-stream', () => {
  it('a client that disconnects aborts the provider request; the partial reply is stored as cancelled', async () => {
    h.fake.script({ fixture: 'openai-chat-text', stallAfterEvents: 3 });
    const calls = h.fake.requests.length;
    const stream = await connectSse(`${h.url}/v1/sessions/${await newSession()}/messages`, {
      headers: headers(),
      body: { content: 'Stream, then stall' },
    });
    const events = await until(stream, 'text-delta');
    const turnId = String(events[0]?.data.turn_id);
    const request = h.fake.requests[calls];
    expect(request?.aborted).toBeUndefined();
    stream.abort();
    // The abort travels down to the provider's HTTP request: the fake sees its client go away.
    await expect.poll(() => request?.aborted, { timeout: 5_000 }).toBe(true);
    await expect
      .poll(async () => (await h.call('GET', `/v1/turns/${turnId}`, undefined, { token: key })).body.status, {
        timeout: 5_000,
      })
      .toBe('cancelled');
    const status = await h.call('GET', `/v1/turns/${turnId}`, undefined, { token: key });
    expect(status.body.messages).toMatchObject([{ role: 'assistant', status: 'cancelled' }]);
  });

  it('sends `: ping` heartbeats while the provider is silent', async () => {
    h.fake.script({ fixture: 'openai-chat-text', stallAfterEvents: 3 });
    const calls = h.fake.requests.length;
    const stream = await connectSse(`${h.url}/v1/sessions/${await newSession()}/messages`, {
      headers: headers(),
      body: { content: 'Stall' },
    });
    await until(stream, 'text-delta');
    // Nothing more comes from the model; reading on collects the heartbeats as they arrive.
    const reading = stream.rest();
    await expect
      .poll(() => stream.comments.filter((comment) => comment === 'ping').length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    stream.abort();
    expect((await reading).map((event) => event.event)).not.toContain('turn-end');
    await expect.poll(() => h.fake.requests[calls]?.aborted, { timeout: 5_000 }).toBe(true);
  });

  it('a background turn survives its client; the cancel endpoint aborts the provider request', async () => {
    h.fake.script({ fixture: 'openai-chat-text', stallAfterEvents: 3 });
    const calls = h.fake.requests.length;
    const started = await h.call(
      'POST',
      `/v1/sessions/${await newSession()}/messages`,
      { content: 'Background', background: true },
      { token: key },
    );
    expect(started.status).toBe(202);
    const turnId = started.body.turn_id as string;
    // Follow it, then leave: a background turn is not cancelled by anyone leaving.
    const follower = await connectSse(`${h.url}/v1/turns/${turnId}/events`, { headers: headers() });
    await until(follower, 'text-delta');
    follower.abort();
    await expect.poll(() => h.fake.requests[calls]?.body).toBeDefined();
    expect((await h.call('GET', `/v1/turns/${turnId}`, undefined, { token: key })).body.status).toBe('running');
    expect(h.fake.requests[calls]?.aborted).toBeUndefined();

    expect((await h.call('POST', `/v1/turns/${turnId}/cancel`, undefined, { token: key })).status).toBe(202);
    await expect.poll(() => h.fake.requests[calls]?.aborted, { timeout: 5_000 }).toBe(true);
    await expect
      .poll(async () => (await h.call('GET', `/v1/turns/${turnId}`, undefined, { token: key })).body.status)
      .toBe('cancelled');
  });
});

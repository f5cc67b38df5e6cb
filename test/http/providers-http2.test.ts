import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

// A provider with `"http2": true` and an http:// baseUrl is called over cleartext HTTP/2 (h2c):
// concurrent streamed calls share one connection instead of holding a socket each.
describe('provider over HTTP/2 (h2c)', () => {
  let h: ProviderHarness;
  beforeAll(async () => {
    h = await startProviderHarness(
      (url) => [{ id: 'h2', type: 'openai-compatible', baseUrl: `${url}/v1`, http2: true }],
      {},
      { http2: true },
    );
  });
  afterAll(() => h.close());

  it('streams concurrent turns over HTTP/2, sharing one connection', async () => {
    const { key } = await h.tenant('h2-streams', { model: { provider: 'h2', id: 'llama' } });
    const turns = 20;
    h.fake.script(...Array.from({ length: turns }, () => ({ fixture: 'openai-chat-text', delayMs: 50 })));
    const outcomes = await Promise.all(Array.from({ length: turns }, () => h.turn(key, 'Hi', { stream: true })));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(200);
      expect(outcome.events.at(-1)?.event).toBe('turn-end');
      const text = outcome.events
        .filter((event) => event.event === 'text-delta')
        .map((event) => event.data.delta)
        .join('');
      expect(text).toBe('Hello from the fake OpenAI chat model.');
    }
    const calls = h.fake.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(calls).toHaveLength(turns);
    expect(calls.every((request) => request.httpVersion === '2.0')).toBe(true);
    expect(h.fake.connections()).toBe(1);
  });

  it('answers a non-streamed turn, and fails cleanly when the stream is reset mid-way', async () => {
    const { key } = await h.tenant('h2-json', { model: { provider: 'h2', id: 'llama' } });
    h.fake.script({ fixture: 'openai-chat-text' });
    const ok = await h.turn(key, 'Hi');
    expect(ok.status).toBe(200);
    expect(ok.body.reply.content[0].text).toBe('Hello from the fake OpenAI chat model.');

    h.fake.script({ fixture: 'openai-chat-text', cutAfterEvents: 2 });
    const cut = await h.turn(key, 'Hi again', { stream: true });
    expect(cut.status).toBe(200);
    expect(cut.events.at(-1)).toMatchObject({ event: 'turn-error', data: { code: 'PROVIDER_ERROR' } });
    // A reset stream is not a dead connection: the next call still goes over the same one.
    h.fake.script({ fixture: 'openai-chat-text' });
    expect((await h.turn(key, 'Once more')).status).toBe(200);
    expect(h.fake.connections()).toBe(1);
  });
});

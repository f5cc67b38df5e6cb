import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from './fake-llm-server.ts';
import { type ProviderHarness, startProviderHarness } from './provider-harness.ts';

export interface ProviderCase {
  /** The provider entry for ENCLAVE_PROVIDERS; `url` is the fake server's. */
  provider: (url: string) => Record<string, unknown>;
  /** Environment holding the platform key(s) the entry names. */
  env: Record<string, string>;
  model: string;
  /** Fixture name prefix: `<prefix>-text`, `<prefix>-tool-call`. */
  fixtures: string;
  /** The reply text the text fixture holds. */
  text: string;
  /** Token usage the fixtures report: the text answer, and the tool call step. */
  usage: { text: { input: number; output: number }; toolCall: { input: number; output: number } };
  /** The path the fake sees for a (non-streaming) call. */
  path: string;
}

/** What the Chat Completions fixtures (`openai-chat-*`) hold, for every provider that speaks that format. */
export const OPENAI_CHAT_FIXTURES = {
  fixtures: 'openai-chat',
  text: 'Hello from the fake OpenAI chat model.',
  usage: { text: { input: 19, output: 9 }, toolCall: { input: 61, output: 11 } },
  path: '/v1/chat/completions',
} as const satisfies Partial<ProviderCase>;

/** What a provider's own tests (beside the shared contract) are handed. */
export interface ProviderTestKit {
  harness(): ProviderHarness;
  /**
   * Creates tenant `tenantId` on the case's model, scripts the fake with `fixtures`, runs one turn
   * (`Hi`, streamed unless `stream: false`) and checks it answered 200; the last request the fake
   * received, to assert on what the provider was sent.
   */
  lastRequest(
    tenantId: string,
    fixtures: readonly string[],
    options?: { stream?: boolean; content?: string },
  ): Promise<RecordedRequest | undefined>;
}

/**
 * The behaviour every provider must show through Enclave's real HTTP API: a JSON turn, an SSE
 * turn, the current_time tool loop, usage in the ledger, and a provider 500 answered as 502 with
 * the turn stored as failed. Each providers-*.test.ts runs it for its provider.
 */
export function providerContract(name: string, providerCase: ProviderCase, extra?: (kit: ProviderTestKit) => void) {
  describe(`${name} through the Enclave API`, () => {
    let h: ProviderHarness;
    let key: string;
    beforeAll(async () => {
      h = await startProviderHarness((url) => [{ id: 'llm', ...providerCase.provider(url) }], providerCase.env);
      ({ key } = await h.tenant('acme', { model: { provider: 'llm', id: providerCase.model } }));
    });
    afterAll(async () => {
      await h.close();
    });

    it('answers a JSON turn with the provider reply, model name and usage', async () => {
      h.fake.script({ fixture: `${providerCase.fixtures}-text` });
      const turn = await h.turn(key, 'Hello');
      expect(turn.status, JSON.stringify(turn.body)).toBe(200);
      expect(turn.body.reply).toMatchObject({ role: 'assistant', final: true, status: 'completed' });
      expect(turn.body.reply.model).toBe(`llm:${providerCase.model}`);
      expect(turn.body.reply.content[0].text).toBe(providerCase.text);
      expect(turn.body.usage).toMatchObject({
        input_tokens: providerCase.usage.text.input,
        output_tokens: providerCase.usage.text.output,
        total_tokens: providerCase.usage.text.input + providerCase.usage.text.output,
      });
      const request = h.fake.requests.at(-1);
      expect(request?.path).toBe(providerCase.path);
      expect(JSON.stringify(request?.body)).toContain('Hello');
    });

    it('streams a turn as SSE, deltas in order, ending with the stored reply and usage', async () => {
      h.fake.script({ fixture: `${providerCase.fixtures}-text` });
      const turn = await h.turn(key, 'Stream please', { stream: true });
      expect(turn.status).toBe(200);
      const types = turn.events.map((event) => event.event);
      expect(types[0]).toBe('turn-start');
      expect(types.at(-1)).toBe('turn-end');
      const deltas = turn.events.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe(providerCase.text);
      const end = turn.events.at(-1)?.data;
      expect(end.usage.output_tokens ?? end.usage.outputTokens).toBe(providerCase.usage.text.output);
    });

    for (const stream of [false, true]) {
      it(`runs the current_time tool loop (${stream ? 'streamed' : 'JSON'}) and stores call, result and answer`, async () => {
        h.fake.script({ fixture: `${providerCase.fixtures}-tool-call` }, { fixture: `${providerCase.fixtures}-text` });
        const before = h.fake.requests.length;
        const turn = await h.turn(key, 'What is the current_time?', { stream });
        expect(turn.status).toBe(200);
        const stored = await h.call('GET', `/v1/sessions/${turn.sessionId}/messages`, undefined, { token: key });
        const roles = stored.body.data.map((message: { role: string }) => message.role);
        expect(roles).toEqual(['user', 'assistant', 'tool', 'assistant']);
        const [, call, result, answer] = stored.body.data;
        expect(call.tool_calls[0]).toMatchObject({ toolName: 'current_time' });
        expect(result.content[0]).toMatchObject({ type: 'tool-result', toolName: 'current_time' });
        expect(JSON.stringify(result.content[0])).toMatch(/\d{4}-\d\d-\d\dT/);
        expect(answer.content[0].text).toBe(providerCase.text);
        // The second request carries the tool result back to the provider.
        expect(h.fake.requests.length - before).toBe(2);
        expect(JSON.stringify(h.fake.requests.at(-1)?.body)).toMatch(/\d{4}-\d\d-\d\dT/);
      });
    }

    it('records the provider-reported usage in the ledger', async () => {
      h.fake.script({ fixture: `${providerCase.fixtures}-tool-call` }, { fixture: `${providerCase.fixtures}-text` });
      const turn = await h.turn(key, 'current_time again');
      const { text, toolCall } = providerCase.usage;
      const records = await h.call('GET', '/v1/usage/records?limit=1', undefined, { token: key });
      expect(records.body.data[0]).toMatchObject({
        turn_id: turn.body.user_message.id,
        model: `llm:${providerCase.model}`,
        input_tokens: text.input + toolCall.input,
        output_tokens: text.output + toolCall.output,
        tool_calls: 1,
        status: 'completed',
      });
    });

    it('answers a provider 500 with 502 PROVIDER_ERROR and stores the turn as failed', async () => {
      h.fake.script({ status: 500, body: { error: { message: 'upstream exploded', type: 'server_error' } } });
      const turn = await h.turn(key, 'This will fail');
      expect(turn.status).toBe(502);
      expect(turn.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(turn.body.code).toBe('PROVIDER_ERROR');
      expect(turn.body.detail).not.toContain('upstream exploded');
      const stored = await h.call('GET', `/v1/sessions/${turn.sessionId}/messages`, undefined, { token: key });
      expect(
        stored.body.data.map((message: { role: string; status: string }) => [message.role, message.status]),
      ).toEqual([
        ['user', 'completed'],
        ['assistant', 'failed'],
      ]);
    });

    extra?.({
      harness: () => h,
      async lastRequest(tenantId, fixtures, options = {}) {
        const { key: tenantKey } = await h.tenant(tenantId, { model: { provider: 'llm', id: providerCase.model } });
        h.fake.script(...fixtures.map((fixture) => ({ fixture })));
        const turn = await h.turn(tenantKey, options.content ?? 'Hi', { stream: options.stream ?? true });
        expect(turn.status).toBe(200);
        return h.fake.requests.at(-1);
      },
    });
  });
}

import { expect, it } from 'vitest';
import { providerContract } from '../fakes/provider-contract.ts';

// An OpenAI-compatible server (vLLM, Ollama, a gateway) speaks the Chat Completions wire format.
providerContract(
  'OpenAI-compatible server',
  {
    provider: (url) => ({ type: 'openai-compatible', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_GATEWAY_KEY' }),
    env: { TEST_GATEWAY_KEY: 'gateway-platform-key' },
    model: 'llama-3.1-8b-instruct',
    fixtures: 'openai-chat',
    text: 'Hello from the fake OpenAI chat model.',
    usage: { text: { input: 19, output: 9 }, toolCall: { input: 61, output: 11 } },
    path: '/v1/chat/completions',
  },
  (harness) => {
    it('sends the platform key as a bearer token and asks for stream usage', async () => {
      const h = harness();
      const { key } = await h.tenant('compatible-headers', { model: { provider: 'llm', id: 'llama-3.1-8b-instruct' } });
      h.fake.script({ fixture: 'openai-chat-text' });
      expect((await h.turn(key, 'Hi', { stream: true })).status).toBe(200);
      const request = h.fake.requests.at(-1);
      expect(request?.headers.authorization).toBe('Bearer gateway-platform-key');
      expect(request?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });
  },
);

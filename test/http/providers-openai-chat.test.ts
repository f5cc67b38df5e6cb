import { expect, it } from 'vitest';
import { providerContract } from '../fakes/provider-contract.ts';

providerContract(
  'OpenAI Chat Completions',
  {
    provider: (url) => ({ type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }),
    env: { TEST_OPENAI_KEY: 'sk-platform-openai' },
    model: 'gpt-4o-mini',
    fixtures: 'openai-chat',
    text: 'Hello from the fake OpenAI chat model.',
    usage: { text: { input: 19, output: 9 }, toolCall: { input: 61, output: 11 } },
    path: '/v1/chat/completions',
  },
  (harness) => {
    it('sends the platform key as a bearer token and asks for usage when streaming', async () => {
      const h = harness();
      const { key } = await h.tenant('headers', { model: { provider: 'llm', id: 'gpt-4o-mini' } });
      h.fake.script({ fixture: 'openai-chat-text' });
      expect((await h.turn(key, 'Hi', { stream: true })).status).toBe(200);
      const request = h.fake.requests.at(-1);
      expect(request?.headers.authorization).toBe('Bearer sk-platform-openai');
      expect(request?.body).toMatchObject({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
      });
    });
  },
);

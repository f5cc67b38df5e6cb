import { expect, it } from 'vitest';
import { OPENAI_CHAT_FIXTURES, providerContract } from '../fakes/provider-contract.ts';

providerContract(
  'OpenAI Chat Completions',
  {
    provider: (url) => ({ type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }),
    env: { TEST_OPENAI_KEY: 'sk-platform-openai' },
    model: 'gpt-4o-mini',
    ...OPENAI_CHAT_FIXTURES,
  },
  (kit) => {
    it('sends the platform key as a bearer token and asks for usage when streaming', async () => {
      const request = await kit.lastRequest('headers', ['openai-chat-text']);
      expect(request?.headers.authorization).toBe('Bearer sk-platform-openai');
      expect(request?.body).toMatchObject({
        model: 'gpt-4o-mini',
        stream: true,
        stream_options: { include_usage: true },
      });
    });
  },
);

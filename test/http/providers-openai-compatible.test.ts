import { expect, it } from 'vitest';
import { OPENAI_CHAT_FIXTURES, providerContract } from '../fakes/provider-contract.ts';

// An OpenAI-compatible server (vLLM, Ollama, a gateway) speaks the Chat Completions wire format.
providerContract(
  'OpenAI-compatible server',
  {
    provider: (url) => ({ type: 'openai-compatible', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_GATEWAY_KEY' }),
    env: { TEST_GATEWAY_KEY: 'gateway-platform-key' },
    model: 'llama-3.1-8b-instruct',
    ...OPENAI_CHAT_FIXTURES,
  },
  (kit) => {
    it('sends the platform key as a bearer token and asks for stream usage', async () => {
      const request = await kit.lastRequest('compatible-headers', ['openai-chat-text']);
      expect(request?.headers.authorization).toBe('Bearer gateway-platform-key');
      expect(request?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });
  },
);

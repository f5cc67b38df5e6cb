import { expect, it } from 'vitest';
import { providerContract } from '../fakes/provider-contract.ts';

providerContract(
  'Anthropic Messages API',
  {
    provider: (url) => ({ type: 'anthropic', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_ANTHROPIC_KEY' }),
    env: { TEST_ANTHROPIC_KEY: 'sk-ant-platform' },
    model: 'claude-sonnet-4-20250514',
    fixtures: 'anthropic',
    text: 'Hello from the fake Anthropic model.',
    usage: { text: { input: 21, output: 11 }, toolCall: { input: 412, output: 41 } },
    path: '/v1/messages',
  },
  (kit) => {
    it('sends the key as x-api-key with an anthropic-version, never as a bearer token', async () => {
      const request = await kit.lastRequest('anthropic-headers', ['anthropic-text']);
      expect(request?.headers['x-api-key']).toBe('sk-ant-platform');
      expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(request?.headers.authorization).toBeUndefined();
      expect(request?.body).toMatchObject({ model: 'claude-sonnet-4-20250514', stream: true });
    });
  },
);

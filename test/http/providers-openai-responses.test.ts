import { expect, it } from 'vitest';
import { providerContract } from '../fakes/provider-contract.ts';

providerContract(
  'OpenAI Responses API',
  {
    provider: (url) => ({ type: 'openai', api: 'responses', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' }),
    env: { TEST_OPENAI_KEY: 'sk-platform-responses' },
    model: 'gpt-4.1-mini',
    fixtures: 'openai-responses',
    text: 'Hello from the fake OpenAI Responses model.',
    usage: { text: { input: 22, output: 10 }, toolCall: { input: 58, output: 12 } },
    path: '/v1/responses',
  },
  (kit) => {
    it('is the default OpenAI API and sends the tool result back as function_call_output', async () => {
      const followUp = await kit.lastRequest(
        'responses-default',
        ['openai-responses-tool-call', 'openai-responses-text'],
        { stream: false, content: 'current_time?' },
      );
      expect(followUp?.headers.authorization).toBe('Bearer sk-platform-responses');
      const input = (followUp?.body as { input?: { type?: string; call_id?: string }[] } | undefined)?.input ?? [];
      expect(input.find((item) => item.type === 'function_call_output')?.call_id).toBe('call_MWpmsUhYBXPcSIp7yLtCsf4y');
    });
  },
);

import { expect, it } from 'vitest';
import { providerContract } from '../fakes/provider-contract.ts';

// Bedrock's baseURL points at the fake: Converse is JSON, ConverseStream the binary AWS event stream.
providerContract(
  'Amazon Bedrock Converse (SigV4)',
  {
    provider: (url) => ({
      type: 'bedrock',
      region: 'eu-west-1',
      baseUrl: url,
      accessKeyIdEnv: 'TEST_AWS_ACCESS_KEY_ID',
      secretAccessKeyEnv: 'TEST_AWS_SECRET_ACCESS_KEY',
    }),
    env: {
      TEST_AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      TEST_AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    },
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    fixtures: 'bedrock',
    text: 'Hello from the fake Bedrock model.',
    usage: { text: { input: 18, output: 9 }, toolCall: { input: 301, output: 24 } },
    path: `/model/${encodeURIComponent('anthropic.claude-3-haiku-20240307-v1:0')}/converse`,
  },
  (kit) => {
    it('signs every request with SigV4 for the configured region, never sending the secret', async () => {
      const request = await kit.lastRequest('bedrock-signing', ['bedrock-text']);
      expect(request?.path).toMatch(/\/converse-stream$/);
      expect(request?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
      );
      expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      expect(JSON.stringify(request)).not.toContain('wJalrXUtnFEMI');
    });
  },
);

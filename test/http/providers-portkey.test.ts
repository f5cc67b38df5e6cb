import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';
import { type PortkeyGateway, startPortkeyGateway } from '../fakes/start-portkey-gateway.ts';

// Provider entries with extra headers and query parameters: Enclave → the Portkey gateway from npm
// (on a loopback port) → the loopback fake upstream, and Enclave → the fake directly.
let gateway: PortkeyGateway;
let h: ProviderHarness;
let viaPortkey: string;
let direct: string;
let unrouted: string;

beforeAll(async () => {
  gateway = await startPortkeyGateway();
  h = await startProviderHarness(
    (url) => [
      {
        id: 'portkey',
        type: 'openai-compatible',
        baseUrl: `${gateway.url}/v1`,
        apiKeyEnv: 'TEST_UPSTREAM_KEY',
        headers: {
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${url}/v1`,
          // Portkey passes the headers listed here on to the upstream: the fake sees the tenant's secret.
          'x-portkey-forward-headers': 'x-upstream-token',
          'x-upstream-token': { secret: 'upstream_token' },
        },
      },
      {
        id: 'azure-like',
        type: 'openai',
        api: 'chat',
        baseUrl: `${url}/openai/v1`,
        headers: { 'api-key': { env: 'TEST_AZURE_KEY' }, 'x-attribution': 'enclave-tests' },
        queryParams: { 'api-version': '2024-10-21' },
      },
      // No routing header: Portkey refuses with a body the OpenAI-compatible SDK cannot read.
      { id: 'portkey-unrouted', type: 'openai-compatible', baseUrl: `${gateway.url}/v1` },
    ],
    { TEST_UPSTREAM_KEY: 'sk-upstream', TEST_AZURE_KEY: 'azure-key-from-env' },
  );
  ({ key: viaPortkey } = await h.tenant('via-portkey', { model: { provider: 'portkey', id: 'gpt-4o-mini' } }));
  ({ key: direct } = await h.tenant('azure-like', { model: { provider: 'azure-like', id: 'gpt-4o-mini' } }));
  ({ key: unrouted } = await h.tenant('portkey-unrouted', {
    model: { provider: 'portkey-unrouted', id: 'gpt-4o-mini' },
  }));
}, 60_000);
afterAll(async () => {
  await h?.close();
  await gateway?.close();
});

describe('provider headers and query parameters', () => {
  it('reaches the upstream through the Portkey gateway, with the tenant secret as a forwarded header', async () => {
    expect(
      (await h.call('PUT', '/v1/secrets/upstream_token', { value: 'tenant-token-1' }, { token: viaPortkey })).status,
    ).toBe(204);
    for (const stream of [true, false]) {
      h.fake.script({ fixture: 'openai-chat-text' });
      const turn = await h.turn(viaPortkey, 'Hello through the gateway', { stream });
      expect(turn.status).toBe(200);
      const request = h.fake.requests.at(-1);
      expect(request?.path).toBe('/v1/chat/completions');
      expect(request?.headers.authorization).toBe('Bearer sk-upstream');
      expect(request?.headers['x-upstream-token']).toBe('tenant-token-1');
      // Portkey drops a `"stream": false` on the way.
      expect(request?.body).toMatchObject({ model: 'gpt-4o-mini', ...(stream ? { stream: true } : {}) });
    }
    // A rotated secret is sent from the next turn on.
    await h.call('PUT', '/v1/secrets/upstream_token', { value: 'tenant-token-2' }, { token: viaPortkey });
    h.fake.script({ fixture: 'openai-chat-text' });
    expect((await h.turn(viaPortkey, 'Again')).status).toBe(200);
    expect(h.fake.requests.at(-1)?.headers['x-upstream-token']).toBe('tenant-token-2');
    // Another tenant on the same provider and model sends its own secret, never the first one's.
    const other = await h.tenant('via-portkey-b', { model: { provider: 'portkey', id: 'gpt-4o-mini' } });
    await h.call('PUT', '/v1/secrets/upstream_token', { value: 'tenant-b-token' }, { token: other.key });
    h.fake.script({ fixture: 'openai-chat-text' }, { fixture: 'openai-chat-text' });
    expect((await h.turn(other.key, 'Hello from B')).status).toBe(200);
    expect(h.fake.requests.at(-1)?.headers['x-upstream-token']).toBe('tenant-b-token');
    expect((await h.turn(viaPortkey, 'Hello from A')).status).toBe(200);
    expect(h.fake.requests.at(-1)?.headers['x-upstream-token']).toBe('tenant-token-2');
  });

  it('refuses a turn whose provider needs a tenant secret the tenant has not stored, before calling anyone', async () => {
    const { key } = await h.tenant('portkey-no-secret', { model: { provider: 'portkey', id: 'gpt-4o-mini' } });
    const calls = h.fake.requests.length;
    const turn = await h.turn(key, 'Hello');
    expect(turn.status).toBe(422);
    expect(turn.body.code).toBe('PROVIDER_KEY_MISSING');
    expect(turn.body.detail).toContain('upstream_token');
    expect(h.fake.requests.length).toBe(calls);
  });

  it('sends literal and environment headers and the query parameters (Azure OpenAI style)', async () => {
    h.fake.script({ fixture: 'openai-chat-text' });
    const turn = await h.turn(direct, 'Hello Azure');
    expect(turn.status).toBe(200);
    const request = h.fake.requests.at(-1);
    expect(request?.path).toBe('/openai/v1/chat/completions?api-version=2024-10-21');
    expect(request?.headers['api-key']).toBe('azure-key-from-env');
    expect(request?.headers['x-attribution']).toBe('enclave-tests');
  });

  it('answers a gateway’s refusal (Portkey’s 400 without a routing header) with 502 PROVIDER_REJECTED', async () => {
    const calls = h.fake.requests.length;
    const turn = await h.turn(unrouted, 'Hello');
    expect(turn.status).toBe(502);
    expect(turn.body.code).toBe('PROVIDER_REJECTED');
    expect(turn.body.detail).toContain('HTTP 400');
    // Portkey refused it itself: nothing reached the upstream.
    expect(h.fake.requests.length).toBe(calls);
  });
});

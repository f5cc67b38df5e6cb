import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

const KEYS = { a: 'sk-tenant-a-0001', b: 'sk-tenant-b-0002', platform: 'sk-platform-0003' } as const;

let h: ProviderHarness;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [
      { id: 'openai', type: 'openai', api: 'chat', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_OPENAI_KEY' },
      { id: 'anthropic', type: 'anthropic', baseUrl: `${url}/v1` },
    ],
    { TEST_OPENAI_KEY: KEYS.platform },
  );
  // Tenants A and B bring their own OpenAI keys (stored as secrets, named in the config); C uses the platform's.
  for (const [tenant, value] of [
    ['byok-a', KEYS.a],
    ['byok-b', KEYS.b],
  ] as const) {
    tokens[tenant] = (await h.tenant(tenant, {})).key;
    const put = await h.call('PUT', '/v1/secrets/openai_key', { value }, { token: tokens[tenant] });
    expect(put.status).toBe(204);
    const patch = await h.call(
      'PATCH',
      '/v1/config',
      { model: { provider: 'openai', id: 'gpt-4o-mini', apiKeySecret: 'openai_key' } },
      { token: tokens[tenant] },
    );
    expect(patch.status, patch.text).toBe(200);
  }
  tokens['byok-c'] = (await h.tenant('byok-c', { model: { provider: 'openai', id: 'gpt-4o-mini' } })).key;
});
afterAll(async () => {
  await h.close();
});

/** The tenant a recorded request was made for: every test message names its tenant. */
function tenantOf(body: unknown): string | undefined {
  return JSON.stringify(body).match(/from (byok-[a-z])/)?.[1];
}

describe('bring your own key', () => {
  it("sends each tenant's own key for its turns, the platform key without BYOK, and never another's", async () => {
    const plan = ['byok-a', 'byok-b', 'byok-c', 'byok-b', 'byok-a', 'byok-c', 'byok-a', 'byok-b'];
    h.fake.script(...plan.map(() => ({ fixture: 'openai-chat-text' })));
    const before = h.fake.requests.length;
    // Concurrent turns: the model cache must never hand one tenant's client to another.
    const turns = await Promise.all(
      plan.map((tenant, index) =>
        h.turn(tokens[tenant] as string, `turn ${index} from ${tenant}`, { stream: index % 2 === 0 }),
      ),
    );
    expect(turns.map((turn) => turn.status)).toEqual(plan.map(() => 200));
    const requests = h.fake.requests.slice(before);
    expect(requests).toHaveLength(plan.length);
    const expected: Record<string, string> = { 'byok-a': KEYS.a, 'byok-b': KEYS.b, 'byok-c': KEYS.platform };
    for (const request of requests) {
      const tenant = tenantOf(request.body);
      expect(tenant).toBeDefined();
      expect(request.headers.authorization).toBe(`Bearer ${expected[tenant as string]}`);
    }
    expect(requests.map((request) => tenantOf(request.body)).sort()).toEqual([...plan].sort());
  });

  it('uses a rotated key from the next turn on', async () => {
    const rotated = 'sk-tenant-a-rotated-0004';
    expect(
      (await h.call('PUT', '/v1/secrets/openai_key', { value: rotated }, { token: tokens['byok-a'] })).status,
    ).toBe(204);
    h.fake.script({ fixture: 'openai-chat-text' });
    expect((await h.turn(tokens['byok-a'] as string, 'after rotation from byok-a')).status).toBe(200);
    expect(h.fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${rotated}`);
    await h.call('PUT', '/v1/secrets/openai_key', { value: KEYS.a }, { token: tokens['byok-a'] });
  });

  it('never shows the key: the config holds only the secret name, and secrets list names only', async () => {
    const config = await h.call('GET', '/v1/config', undefined, { token: tokens['byok-a'] });
    expect(config.body.config.model).toEqual({ provider: 'openai', id: 'gpt-4o-mini', apiKeySecret: 'openai_key' });
    const secrets = await h.call('GET', '/v1/secrets', undefined, { token: tokens['byok-a'] });
    for (const response of [config, secrets]) {
      for (const key of Object.values(KEYS)) expect(response.text).not.toContain(key);
    }
  });

  it('refuses a turn whose key secret is gone with 422 PROVIDER_KEY_MISSING, never falling back to the platform key', async () => {
    const { key } = await h.tenant('byok-gone', {
      model: { provider: 'openai', id: 'gpt-4o-mini', apiKeySecret: 'deleted_key' },
    });
    const before = h.fake.requests.length;
    const turn = await h.turn(key, 'no key from byok-gone');
    expect(turn.status).toBe(422);
    expect(turn.body.code).toBe('PROVIDER_KEY_MISSING');
    expect(h.fake.requests.length).toBe(before);
    // Refused before anything is stored.
    const stored = await h.call('GET', `/v1/sessions/${turn.sessionId}/messages`, undefined, { token: key });
    expect(stored.body.data).toEqual([]);
  });

  it('requires a tenant key for a provider without a platform key, then uses it', async () => {
    const { key } = await h.tenant('byok-ant', {});
    const withoutKey = await h.call(
      'PATCH',
      '/v1/config',
      { model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514' } },
      { token: key },
    );
    expect(withoutKey.status).toBe(422);
    expect(withoutKey.body.code).toBe('PROVIDER_KEY_MISSING');
    await h.call('PUT', '/v1/secrets/anthropic', { value: 'sk-ant-tenant-0005' }, { token: key });
    const withKey = await h.call(
      'PATCH',
      '/v1/config',
      { model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514', apiKeySecret: 'anthropic' } },
      { token: key },
    );
    expect(withKey.status).toBe(200);
    h.fake.script({ fixture: 'anthropic-text' });
    expect((await h.turn(key, 'hello from byok-ant')).status).toBe(200);
    expect(h.fake.requests.at(-1)?.headers['x-api-key']).toBe('sk-ant-tenant-0005');
  });
});

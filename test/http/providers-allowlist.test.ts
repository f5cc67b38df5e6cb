import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderHarness, startProviderHarness } from '../fakes/provider-harness.ts';

let h: ProviderHarness;
beforeAll(async () => {
  h = await startProviderHarness(
    (url) => [
      {
        id: 'openai',
        type: 'openai',
        api: 'chat',
        baseUrl: `${url}/v1`,
        apiKeyEnv: 'TEST_OPENAI_KEY',
        models: ['gpt-4o-mini', 'gpt-4o'],
      },
      { id: 'anthropic', type: 'anthropic', baseUrl: `${url}/v1`, apiKeyEnv: 'TEST_ANTHROPIC_KEY' },
    ],
    { TEST_OPENAI_KEY: 'sk-openai', TEST_ANTHROPIC_KEY: 'sk-ant' },
  );
});
afterAll(async () => {
  await h.close();
});

const patch = (key: string, body: unknown) => h.call('PATCH', '/v1/config', body, { token: key });

describe('which providers and models a tenant may use', () => {
  it('refuses an unknown provider and a model outside the provider list with 403 MODEL_NOT_ALLOWED', async () => {
    const { key } = await h.tenant('allow-platform', {});
    for (const model of [
      { provider: 'mistral', id: 'mistral-large' },
      { provider: 'openai', id: 'o3-pro' },
    ]) {
      const response = await patch(key, { model });
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('MODEL_NOT_ALLOWED');
    }
    expect((await patch(key, { model: { provider: 'openai', id: 'gpt-4o' } })).status).toBe(200);
    // Creating a tenant with a disallowed model is refused the same way, and creates nothing.
    const created = await h.call('POST', '/v1/admin/tenants', {
      id: 'allow-never',
      config: { model: { provider: 'openai', id: 'o3-pro' } },
    });
    expect(created.body.code).toBe('MODEL_NOT_ALLOWED');
    expect((await h.call('GET', '/v1/admin/tenants/allow-never')).status).toBe(404);
  });

  it("enforces the operator's allowedModels for the tenant, which cannot change the list itself", async () => {
    const { key } = await h.tenant('allow-tenant', {
      allowedModels: ['openai:gpt-4o-mini', 'simulated:*'],
      model: { provider: 'openai', id: 'gpt-4o-mini' },
    });
    const refused = await patch(key, { model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514' } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('MODEL_NOT_ALLOWED');
    expect((await patch(key, { model: { provider: 'openai', id: 'gpt-4o' } })).body.code).toBe('MODEL_NOT_ALLOWED');
    expect((await patch(key, { model: { provider: 'simulated', id: 'simulated-2' } })).status).toBe(200);
    const selfWidening = await patch(key, { allowedModels: null });
    expect(selfWidening.status).toBe(403);
    expect(selfWidening.body.code).toBe('INSUFFICIENT_SCOPE');
    // The operator widens it; now the tenant may switch.
    const operator = await h.call('PATCH', '/v1/admin/tenants/allow-tenant/config', {
      allowedModels: ['openai:*', 'anthropic:*', 'simulated:*'],
    });
    expect(operator.status).toBe(200);
    expect((await patch(key, { model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514' } })).status).toBe(200);
  });

  it('refuses a tenant rollback to a model that the current allowedModels forbid', async () => {
    const { key } = await h.tenant('allow-turn', { model: { provider: 'openai', id: 'gpt-4o-mini' } });
    h.fake.script({ fixture: 'openai-chat-text' });
    expect((await h.turn(key, 'allowed now')).status).toBe(200);
    const narrowed = await h.call('PATCH', '/v1/admin/tenants/allow-turn/config', { systemPrompt: 'Be brief.' });
    expect(narrowed.status).toBe(200);
    const rollbackTarget = narrowed.body.version;
    const operatorNarrow = await h.call('PATCH', '/v1/admin/tenants/allow-turn/config', {
      allowedModels: ['anthropic:*'],
      model: { provider: 'anthropic', id: 'claude-sonnet-4-20250514' },
    });
    expect(operatorNarrow.status).toBe(200);
    // A tenant rollback restores the earlier model, which the operator's current list forbids.
    const rollback = await h.call('POST', '/v1/config/rollback', { version: rollbackTarget }, { token: key });
    expect(rollback.status).toBe(403);
    expect(rollback.body.code).toBe('MODEL_NOT_ALLOWED');
    // The current config still runs, on the provider the operator allowed.
    const requests = h.fake.requests.length;
    h.fake.script({ fixture: 'anthropic-text' });
    const turn = await h.turn(key, 'now anthropic');
    expect(turn.status).toBe(200);
    expect(turn.body.reply.model).toBe('anthropic:claude-sonnet-4-20250514');
    expect(h.fake.requests.length).toBe(requests + 1);
  });

  it('refuses a turn when the platform stops offering a stored model (403, nothing stored, no provider call)', async () => {
    const dir = h.app.dir;
    const { key } = await h.tenant('allow-removed', { model: { provider: 'openai', id: 'gpt-4o' } });
    // A second server on the same database whose operator no longer offers gpt-4o (like a redeploy).
    const { createTestApp } = await import('../helpers/test-app.ts');
    const next = await createTestApp(
      {
        ENCLAVE_AUTH: 'required',
        ENCLAVE_ADMIN_KEY: 'admin-key-for-provider-tests-0123456789abcdef',
        ENCLAVE_MASTER_KEY: h.app.config.masterKey as string,
        ENCLAVE_PROVIDERS: JSON.stringify([
          {
            id: 'openai',
            type: 'openai',
            api: 'chat',
            baseUrl: `${h.fake.url}/v1`,
            apiKeyEnv: 'K',
            models: ['gpt-4o-mini'],
          },
        ]),
        K: 'sk-openai',
      },
      { dir },
    );
    try {
      const requests = h.fake.requests.length;
      const session = await next.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: { authorization: `Bearer ${key}` },
        payload: {},
      });
      const turn = await next.app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.json().id}/messages`,
        headers: { authorization: `Bearer ${key}` },
        payload: { content: 'still there?' },
      });
      expect(turn.statusCode).toBe(403);
      expect(turn.json().code).toBe('MODEL_NOT_ALLOWED');
      expect(h.fake.requests.length).toBe(requests);
      const stored = await next.app.inject({
        method: 'GET',
        url: `/v1/sessions/${session.json().id}/messages`,
        headers: { authorization: `Bearer ${key}` },
      });
      expect(stored.json().data).toEqual([]);
    } finally {
      await next.close();
    }
  });
});

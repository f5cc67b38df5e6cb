import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Response languages on a real server: the tenant's config, the per-request override, and the
// simulated model answering from the system instruction the agent adds.
const ADMIN = `admin-${'l'.repeat(40)}`;
let t: TestApp;
let base: string;
const keys: Record<string, string> = {};

const call = (method: string, path: string, token: string, body?: unknown, accept?: string) =>
  request(base, method, path, { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) }, body);

async function tenant(id: string, config?: Record<string, unknown>) {
  keys[id] = (await createTenantWithKey(base, ADMIN, id, config ? { config } : {})).key;
}

async function say(tenantId: string, content: string, extra: Record<string, unknown> = {}) {
  const token = keys[tenantId] as string;
  const session = (await call('POST', '/v1/sessions', token, {})).json.id;
  const response = await call('POST', `/v1/sessions/${session}/messages`, token, { content, ...extra });
  return { ...response, session, text: response.json?.reply?.content?.[0]?.text as string | undefined };
}

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  await tenant('lang-ja', { language: 'ja' });
  await tenant('lang-fr', { language: 'fr' });
  await tenant('lang-en', { language: 'en' });
  await tenant('lang-none');
});
afterAll(async () => {
  await t.dispose();
});

describe('response languages', () => {
  it("answers in the tenant's configured language", async () => {
    expect((await say('lang-ja', 'こんにちは')).text).toBe('「こんにちは」へのエージェントの応答。コンテキスト: ');
    expect((await say('lang-fr', 'Bonjour')).text).toBe("Réponse de l'agent à 'Bonjour' avec le contexte : ");
  });

  it("lets a request's language win over the tenant's", async () => {
    expect((await say('lang-fr', 'Hola', { language: 'es' })).text).toBe(
      "Respuesta del agente a 'Hola' con contexto: ",
    );
    expect((await say('lang-ja', 'Hallo', { language: 'de' })).text).toBe(
      "Antwort des Agenten auf 'Hallo' mit Kontext: ",
    );
    expect((await say('lang-none', 'Hello', { language: 'ja' })).text).toBe(
      '「Hello」へのエージェントの応答。コンテキスト: ',
    );
  });

  it('keeps English byte-identical, whether set explicitly or not set at all', async () => {
    const expected = "Agent response to 'Hello' with context: ";
    expect((await say('lang-en', 'Hello')).text).toBe(expected);
    expect((await say('lang-none', 'Hello')).text).toBe(expected);
    expect((await say('lang-ja', 'Hello', { language: 'en' })).text).toBe(expected);
  });

  it('streams a localised reply whose deltas add up to the stored text', async () => {
    const token = keys['lang-ja'] as string;
    const session = (await call('POST', '/v1/sessions', token, {})).json.id;
    const stream = await call(
      'POST',
      `/v1/sessions/${session}/messages`,
      token,
      { content: 'おはよう', language: 'fr' },
      'text/event-stream',
    );
    const data = stream.text
      .split('\n\n')
      .filter((block) => block.trim())
      .map((block) => ({
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
      }));
    const deltas = data.filter((event) => event.event === 'text-delta').map((event) => event.data.delta);
    expect(deltas.join('')).toBe("Réponse de l'agent à 'おはよう' avec le contexte : ");
    const end = data.at(-1);
    expect(end?.event).toBe('turn-end');
    expect(end?.data.messages.at(-1).content[0].text).toBe(deltas.join(''));
  });

  it('refuses an unsupported language in a request with 422 UNSUPPORTED_LANGUAGE, storing nothing', async () => {
    const token = keys['lang-fr'] as string;
    const session = (await call('POST', '/v1/sessions', token, {})).json.id;
    for (const language of ['pt', 'EN', 'en-US', 'klingon', 'x'.repeat(35)]) {
      const response = await call('POST', `/v1/sessions/${session}/messages`, token, { content: 'hi', language });
      expect(response.status, language).toBe(422);
      expect(response.contentType).toMatch(/^application\/problem\+json/);
      expect(response.json).toMatchObject({
        code: 'UNSUPPORTED_LANGUAGE',
        title: 'Response language is not supported',
      });
      expect(response.json.detail).toContain('en, es, fr, de, ja');
    }
    for (const language of [42, null, '', 'x'.repeat(36)]) {
      const response = await call('POST', `/v1/sessions/${session}/messages`, token, { content: 'hi', language });
      expect(response.status).toBe(422);
      expect(response.json.code).toBe('VALIDATION_FAILED');
    }
    const stored = await call('GET', `/v1/sessions/${session}/messages`, token);
    expect(stored.json.data).toEqual([]);
  });

  it('refuses an unsupported language in a config with 422 UNSUPPORTED_LANGUAGE, keeping the current one', async () => {
    const token = keys['lang-fr'] as string;
    const patched = await call('PATCH', '/v1/config', token, { language: 'pt-BR' });
    expect(patched.status).toBe(422);
    expect(patched.json).toMatchObject({ code: 'UNSUPPORTED_LANGUAGE', status: 422 });
    expect((await call('GET', '/v1/config', token)).json.config.language).toBe('fr');

    const created = await call('POST', '/v1/admin/tenants', ADMIN, { id: 'lang-bad', config: { language: 'zz' } });
    expect(created.status).toBe(422);
    expect(created.json.code).toBe('UNSUPPORTED_LANGUAGE');
    expect((await call('GET', '/v1/admin/tenants/lang-bad', ADMIN)).status).toBe(404);

    expect((await call('PATCH', '/v1/config', token, { language: 7 })).json.code).toBe('VALIDATION_FAILED');
    const cleared = await call('PATCH', '/v1/config', token, { language: null });
    expect(cleared.json.config.language).toBeNull();
    expect((await say('lang-fr', 'Hello')).text).toBe("Agent response to 'Hello' with context: ");
    expect((await call('PATCH', '/v1/config', token, { language: 'fr' })).status).toBe(200);
  });

  it('leaves the legacy contract as it was: no language field, the tenant config decides', async () => {
    const token = keys['lang-ja'] as string;
    const response = await call('POST', '/agent/interact', token, { tenant_id: 'lang-ja', message: 'やあ' });
    expect(response.json).toEqual({ tenant_id: 'lang-ja', response: '「やあ」へのエージェントの応答。コンテキスト: ' });
    // An unknown field is ignored there, exactly as before; it is no override.
    const ignored = await call('POST', '/agent/interact', token, {
      tenant_id: 'lang-ja',
      message: 'x',
      language: 'es',
    });
    expect(ignored.status).toBe(200);
    expect(ignored.json.response).toMatch(/^「x」へのエージェントの応答。/);
  });
});

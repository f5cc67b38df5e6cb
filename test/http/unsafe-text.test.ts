import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * NUL and unpaired surrogates in any request text: one 422 VALIDATION_FAILED on both databases,
 * never a 500 (PostgreSQL) or a stored NUL (SQLite) or a silent U+FFFD (both). Every other
 * character, control characters included, is kept exactly.
 */

const ADMIN = `admin-${'u'.repeat(40)}`;
const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const LONE_LOW = '\udc00';
let t: TestApp;
let key: string;
let sessionId: string;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
async function call(method: Method, url: string, token: string, payload?: unknown) {
  const response = await t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined
      ? {}
      : {
          payload: JSON.stringify(payload),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        }),
  });
  return { status: response.statusCode, type: String(response.headers['content-type']), body: response.json() };
}

beforeAll(async () => {
  t = await createTestApp({
    ENCLAVE_AUTH: 'required',
    ENCLAVE_ADMIN_KEY: ADMIN,
    // A tenant JWT secret is kept in the secrets store, which needs a master key.
    ENCLAVE_MASTER_KEY: Buffer.alloc(32, 5).toString('base64'),
  });
  expect((await call('POST', '/v1/admin/tenants', ADMIN, { id: 'texts', name: 'Texts' })).status).toBe(201);
  expect((await call('POST', '/v1/admin/tenants', ADMIN, { id: 'jwt-texts' })).status).toBe(201);
  key = (await call('POST', '/v1/admin/tenants/texts/keys', ADMIN, { name: 'app' })).body.key;
  sessionId = (await call('POST', '/v1/sessions', key, {})).body.id;
});
afterAll(async () => {
  await t?.dispose();
});

describe('text with NUL or an unpaired surrogate', () => {
  const cases: Array<{
    name: string;
    method: Method;
    url: () => string;
    admin?: boolean;
    body: (bad: string) => unknown;
    path: string;
  }> = [
    {
      name: 'session title',
      method: 'POST',
      url: () => '/v1/sessions',
      body: (bad) => ({ title: bad }),
      path: 'body.title',
    },
    {
      name: 'session user_id',
      method: 'POST',
      url: () => '/v1/sessions',
      body: (bad) => ({ user_id: bad }),
      path: 'body.user_id',
    },
    {
      name: 'session metadata key',
      method: 'POST',
      url: () => '/v1/sessions',
      body: (bad) => ({ metadata: { [bad]: 'x' } }),
      path: 'body.metadata',
    },
    {
      name: 'message content',
      method: 'POST',
      url: () => `/v1/sessions/${sessionId}/messages`,
      body: (bad) => ({ content: bad }),
      path: 'body.content',
    },
    {
      name: 'legacy message',
      method: 'POST',
      url: () => '/agent/interact',
      body: (bad) => ({ tenant_id: 'texts', message: bad }),
      path: 'body.message',
    },
    {
      name: 'tenant name',
      method: 'POST',
      url: () => '/v1/admin/tenants',
      admin: true,
      body: (bad) => ({ id: 'other', name: bad }),
      path: 'body.name',
    },
    {
      name: 'tenant rename',
      method: 'PATCH',
      url: () => '/v1/admin/tenants/texts',
      admin: true,
      body: (bad) => ({ name: bad }),
      path: 'body.name',
    },
    { name: 'API key name', method: 'POST', url: () => '/v1/keys', body: (bad) => ({ name: bad }), path: 'body.name' },
    {
      name: 'config text',
      method: 'PATCH',
      url: () => '/v1/config',
      body: (bad) => ({ systemPrompt: bad }),
      path: 'body.systemPrompt',
    },
    {
      name: 'config deep key',
      method: 'PATCH',
      url: () => '/v1/config',
      body: (bad) => ({ extra: [{ [bad]: 1 }] }),
      path: 'body.extra.0',
    },
    {
      name: 'secret value',
      method: 'PUT',
      url: () => '/v1/secrets/openai',
      body: (bad) => ({ value: bad }),
      path: 'body.value',
    },
  ];
  for (const bad of [NUL, LONE, LONE_LOW]) {
    for (const entry of cases) {
      it(`refuses ${JSON.stringify(bad)} in the ${entry.name} with 422 VALIDATION_FAILED`, async () => {
        const answer = await call(entry.method, entry.url(), entry.admin ? ADMIN : key, entry.body(bad));
        expect(answer.status).toBe(422);
        expect(answer.type).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: entry.path }] });
      });
    }
  }

  it('refuses them in query strings and path parameters too', async () => {
    const query = await call('GET', `/v1/sessions?cursor=${encodeURIComponent(NUL)}`, key);
    expect(query).toMatchObject({
      status: 422,
      body: { code: 'VALIDATION_FAILED', errors: [{ path: 'query.cursor' }] },
    });
    const param = await call('GET', '/v1/sessions/a%00b', key);
    expect(param).toMatchObject({ status: 422, body: { code: 'VALIDATION_FAILED', errors: [{ path: 'params.id' }] } });
  });

  it('refuses a well-formed cursor that decodes to such text with 422 INVALID_CURSOR', async () => {
    for (const bad of [NUL, LONE]) {
      const cursor = Buffer.from(JSON.stringify({ p: bad })).toString('base64url');
      for (const url of [
        `/v1/sessions?cursor=${cursor}`,
        `/v1/keys?cursor=${cursor}`,
        `/v1/usage/records?cursor=${cursor}`,
      ]) {
        const answer = await call('GET', url, key);
        expect(answer, url).toMatchObject({ status: 422, body: { code: 'INVALID_CURSOR' } });
      }
      for (const url of [`/v1/admin/tenants?cursor=${cursor}`, `/v1/admin/tenants/texts/audit?cursor=${cursor}`]) {
        const answer = await call('GET', url, ADMIN);
        expect(answer, url).toMatchObject({ status: 422, body: { code: 'INVALID_CURSOR' } });
      }
    }
  });

  it('refuses a JWT whose user claim holds such text with 401, before anything is stored', async () => {
    const secret = 'unsafe-text-jwt-secret-0123456789abcdef';
    expect((await call('PATCH', '/v1/admin/tenants/jwt-texts/config', ADMIN, { jwt: { secret } })).status).toBe(200);
    for (const sub of [NUL, LONE]) {
      const token = await new SignJWT({ tenant_id: 'jwt-texts', sub, scope: 'chat history:read' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      const answer = await call('POST', '/v1/sessions', token, {});
      expect(answer).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('stored nothing for the refused requests', async () => {
    const sessions = await call('GET', '/v1/sessions', key);
    expect(sessions.body.data).toHaveLength(1);
    const tenant = await call('GET', '/v1/admin/tenants/texts', ADMIN);
    expect(tenant.body.name).toBe('Texts');
  });

  it('keeps tabs, newlines, other control characters and paired surrogates exactly', async () => {
    const text = 'tab\there\r\nbell\u0007 esc\u001b del\u007f c1\u0085 emoji \ud83d\ude00 bom\ufeff';
    const session = await call('POST', '/v1/sessions', key, { title: text, metadata: { [text]: text } });
    expect(session.status).toBe(201);
    const turn = await call('POST', `/v1/sessions/${session.body.id}/messages`, key, { content: text });
    expect(turn.status).toBe(200);
    const read = await call('GET', `/v1/sessions/${session.body.id}`, key);
    expect(read.body).toMatchObject({ title: text, metadata: { [text]: text } });
    const messages = await call('GET', `/v1/sessions/${session.body.id}/messages`, key);
    expect(messages.body.data[0].content).toEqual([{ type: 'text', text }]);
  });
});

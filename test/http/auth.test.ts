import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'x'.repeat(40)}`;
const PLATFORM_SECRET = 'platform-secret-platform-secret-0123456789';
let t: TestApp;
let keyA: string;
let keyBChatOnly: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const call = async (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  headers: Record<string, string>,
  payload?: object,
) => {
  const response = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const json = /json/.test(String(response.headers['content-type'])) && response.body;
  return { status: response.statusCode, body: json ? response.json() : null, headers: response.headers };
};
const jwt = (claims: Record<string, unknown>, secret = PLATFORM_SECRET, expiresIn = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));

beforeAll(async () => {
  t = await createTestApp({
    ENCLAVE_AUTH: 'required',
    ENCLAVE_ADMIN_KEY: ADMIN,
    ENCLAVE_JWT_SECRET: PLATFORM_SECRET,
    // A tenant's own signing secret is kept in the encrypted secrets store, which needs a master key.
    ENCLAVE_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
  });
  for (const id of ['tenant-a', 'tenant-b']) {
    expect((await call('POST', '/v1/admin/tenants', bearer(ADMIN), { id })).status).toBe(201);
  }
  keyA = (await call('POST', '/v1/admin/tenants/tenant-a/keys', bearer(ADMIN), { name: 'a' })).body.key;
  keyBChatOnly = (await call('POST', '/v1/admin/tenants/tenant-b/keys', bearer(ADMIN), { name: 'b', scopes: ['chat'] }))
    .body.key;
});
afterAll(async () => {
  await t.dispose();
});

describe('authentication required', () => {
  it('refuses requests without a credential with 401 and WWW-Authenticate, but serves health and docs', async () => {
    for (const [method, url] of [
      ['POST', '/agent/interact'],
      ['GET', '/agent/history/tenant-a'],
      ['GET', '/v1/sessions'],
      ['GET', '/v1/admin/tenants'],
      ['GET', '/v1/nowhere'],
    ] as const) {
      const response = await call(
        method,
        url,
        {},
        method === 'POST' ? { tenant_id: 'tenant-a', message: 'x' } : undefined,
      );
      expect(response.status, url).toBe(401);
      expect(response.body.code).toBe('UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/docs/']) {
      expect((await call('GET', url, {})).status, url).toBe(200);
    }
  });

  it('never lends the public routes exemption to another path, however it is spelled', async () => {
    for (const url of [
      '/docs/../v1/sessions',
      '/openapi.json/../v1/sessions',
      '/docs%2F..%2Fv1%2Fsessions',
      '/v1/sessions?x=/docs',
    ]) {
      const response = await call('GET', url, {});
      expect(response.status, url).not.toBe(500);
      expect(JSON.stringify(response.body ?? '')).not.toContain('"object":"session"');
      if (response.headers['content-type']?.toString().includes('json'))
        expect(response.status, url).toBeGreaterThanOrEqual(400);
    }
  });

  it.each([
    ['a malformed key', 'enc_nope'],
    ['a key with a bad checksum', `enc_${'a'.repeat(38)}`],
    ['a non-bearer scheme', null],
    ['garbage', 'not a key at all'],
  ])('answers 401 for %s', async (_name, token) => {
    const headers =
      token === null ? { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } : bearer(token);
    const response = await call('GET', '/v1/sessions', headers);
    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('The credential is missing, malformed, expired or revoked');
  });

  it('takes the tenant from the key: a matching body works, another tenant is 403, the tenant is not auto-created', async () => {
    const ok = await call('POST', '/agent/interact', bearer(keyA), { tenant_id: 'tenant-a', message: 'hi' });
    expect(ok.status).toBe(200);
    const other = await call('POST', '/agent/interact', bearer(keyA), { tenant_id: 'tenant-b', message: 'hi' });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('TENANT_MISMATCH');
    expect((await call('GET', '/agent/history/tenant-b', bearer(keyA))).body.code).toBe('TENANT_MISMATCH');
    expect((await call('GET', '/v1/sessions', { ...bearer(keyA), 'tenant-id': 'tenant-b' })).status).toBe(403);
    expect((await call('GET', '/v1/sessions', { ...bearer(keyA), 'tenant-id': 'tenant-a' })).status).toBe(200);
    expect((await call('GET', '/agent/history/tenant-a', bearer(keyA))).body.history).toHaveLength(1);
  });

  it('enforces scopes with 403 INSUFFICIENT_SCOPE', async () => {
    expect(
      (await call('POST', '/agent/interact', bearer(keyBChatOnly), { tenant_id: 'tenant-b', message: 'x' })).status,
    ).toBe(200);
    const history = await call('GET', '/agent/history/tenant-b', bearer(keyBChatOnly));
    expect(history.status).toBe(403);
    expect(history.body.code).toBe('INSUFFICIENT_SCOPE');
    expect((await call('GET', '/v1/keys', bearer(keyBChatOnly))).body.code).toBe('INSUFFICIENT_SCOPE');
    expect((await call('GET', '/v1/admin/tenants', bearer(keyA))).body.code).toBe('ADMIN_REQUIRED');
  });

  it('refuses revoked and expired keys', async () => {
    const created = await call('POST', '/v1/keys', bearer(keyA), {
      name: 'short',
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    expect(created.status).toBe(201);
    expect((await call('GET', '/v1/sessions', bearer(created.body.key))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await call('GET', '/v1/sessions', bearer(created.body.key))).status).toBe(401);

    const revocable = await call('POST', '/v1/keys', bearer(keyA), { name: 'revocable' });
    expect((await call('DELETE', `/v1/keys/${revocable.body.id}`, bearer(keyA))).status).toBe(204);
    expect((await call('GET', '/v1/sessions', bearer(revocable.body.key))).status).toBe(401);
    expect((await call('DELETE', `/v1/keys/${revocable.body.id}`, bearer(keyA))).status).toBe(404);
  });

  it('lets a key grant only the scopes it holds, and never shows a key again', async () => {
    const chatOnly = await call('POST', '/v1/admin/tenants/tenant-a/keys', bearer(ADMIN), {
      name: 'chat+keys',
      scopes: ['chat', 'keys:manage'],
    });
    const escalate = await call('POST', '/v1/keys', bearer(chatOnly.body.key), { name: 'x', scopes: ['config:write'] });
    expect(escalate.status).toBe(403);
    const list = await call('GET', '/v1/keys', bearer(keyA));
    expect(JSON.stringify(list.body)).not.toContain(keyA);
    expect(list.body.data.every((key: { prefix: string }) => key.prefix.startsWith('enc_'))).toBe(true);
  });

  it('lets an admin act for a tenant it names, and requires it to name one', async () => {
    const ok = await call('POST', '/agent/interact', bearer(ADMIN), { tenant_id: 'tenant-b', message: 'from admin' });
    expect(ok.status).toBe(200);
    const missing = await call('GET', '/v1/sessions', bearer(ADMIN));
    expect(missing.body.code).toBe('TENANT_ID_REQUIRED');
    expect((await call('GET', '/v1/sessions', { ...bearer(ADMIN), 'tenant-id': 'tenant-b' })).status).toBe(200);
    const unknown = await call('POST', '/agent/interact', bearer(ADMIN), { tenant_id: 'ghost', message: 'x' });
    expect(unknown.status).toBe(404);
  });

  it('suspends and resumes a tenant', async () => {
    expect((await call('POST', '/v1/admin/tenants/tenant-a/suspend', bearer(ADMIN))).body.status).toBe('suspended');
    const refused = await call('POST', '/agent/interact', bearer(keyA), { tenant_id: 'tenant-a', message: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('TENANT_SUSPENDED');
    await call('POST', '/v1/admin/tenants/tenant-a/resume', bearer(ADMIN));
    expect((await call('POST', '/agent/interact', bearer(keyA), { tenant_id: 'tenant-a', message: 'x' })).status).toBe(
      200,
    );
  });
});

describe('JWT', () => {
  it('accepts a platform-signed token and maps tenant, user and scopes', async () => {
    const token = await jwt({ tenant_id: 'tenant-a', sub: 'user-1', scope: 'chat history:read' });
    const session = await call('POST', '/v1/sessions', bearer(token), {});
    expect(session.status).toBe(201);
    const turn = await call('POST', `/v1/sessions/${session.body.id}/messages`, bearer(token), { content: 'hi' });
    expect(turn.status).toBe(200);
    const wrongTenant = await call('POST', '/agent/interact', bearer(token), { tenant_id: 'tenant-b', message: 'x' });
    expect(wrongTenant.body.code).toBe('TENANT_MISMATCH');
    expect((await call('GET', '/v1/keys', bearer(token))).body.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('answers a platform token naming a tenant that does not exist (or no longer does) with 404 TENANT_NOT_FOUND', async () => {
    const ghost = await jwt({ tenant_id: 'tenant-ghost', scope: 'chat history:read' });
    for (const [method, url] of [
      ['GET', '/v1/sessions'],
      ['POST', '/v1/sessions'],
      ['GET', '/v1/sessions/ses_nothere'],
      ['GET', '/v1/sessions/ses_nothere/messages'],
      ['DELETE', '/v1/sessions/ses_nothere'],
      ['GET', '/agent/history/tenant-ghost'],
    ] as const) {
      const reply = await call(method, url, bearer(ghost), method === 'POST' ? {} : undefined);
      expect({ url, method, status: reply.status, code: reply.body.code }).toEqual({
        url,
        method,
        status: 404,
        code: 'TENANT_NOT_FOUND',
      });
    }
    expect((await call('POST', '/v1/admin/tenants', bearer(ADMIN), { id: 'tenant-doomed' })).status).toBe(201);
    const doomed = await jwt({ tenant_id: 'tenant-doomed', scope: 'history:read' });
    expect((await call('GET', '/v1/sessions', bearer(doomed))).status).toBe(200);
    expect((await call('DELETE', '/v1/admin/tenants/tenant-doomed', bearer(ADMIN))).status).toBe(204);
    const gone = await call('GET', '/v1/sessions', bearer(doomed));
    expect({ status: gone.status, code: gone.body.code }).toEqual({ status: 404, code: 'TENANT_NOT_FOUND' });
  });

  it('rejects alg=none, expired and wrongly signed tokens', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"tenant_id":"tenant-a","scope":"chat"}').toString('base64url')}.`;
    expect((await call('GET', '/v1/sessions', bearer(none))).status).toBe(401);
    const expired = await jwt({ tenant_id: 'tenant-a', scope: 'history:read' }, PLATFORM_SECRET, '-10m');
    expect((await call('GET', '/v1/sessions', bearer(expired))).status).toBe(401);
    const forged = await jwt(
      { tenant_id: 'tenant-a', scope: 'history:read' },
      'another-secret-another-secret-0123456789',
    );
    expect((await call('GET', '/v1/sessions', bearer(forged))).status).toBe(401);
  });

  it('checks a token naming a tenant against that tenant own trust only', async () => {
    const secretB = 'tenant-b-secret-tenant-b-secret-0123456789';
    expect(
      (await call('PATCH', '/v1/admin/tenants/tenant-b/config', bearer(ADMIN), { jwt: { secret: secretB } })).status,
    ).toBe(200);
    const ownTrust = await jwt({ tenant_id: 'tenant-b', scope: 'history:read' }, secretB);
    expect((await call('GET', '/v1/sessions', bearer(ownTrust))).status).toBe(200);
    // Once B has its own trust, the platform secret no longer speaks for B, and nobody else's does.
    const platform = await jwt({ tenant_id: 'tenant-b', scope: 'history:read' });
    expect((await call('GET', '/v1/sessions', bearer(platform))).status).toBe(401);
    const config = await call('GET', '/v1/admin/tenants/tenant-b/config', bearer(ADMIN));
    expect(config.body.config.jwt).toEqual({ secretName: 'jwt.secret' });
    expect(JSON.stringify(config.body)).not.toContain(secretB);
  });
});

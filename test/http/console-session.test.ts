import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'c'.repeat(40)}`;
let t: TestApp;
let base: string;
let origin: string;
let fullKey: string;
let readKey: string;

async function api(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Signs in from the console's own origin; returns the cookie header and the CSRF token. */
async function signIn(key: string) {
  const response = await api('POST', '/console/api/session', { headers: { origin }, body: { key } });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] as string;
  return { cookie, csrf: response.body.csrf_token as string, body: response.body, setCookie };
}
/** A same-origin console request carrying the cookie (and the CSRF token when given). */
const consoleHeaders = (session: { cookie: string }, csrf?: string) => ({
  cookie: session.cookie,
  origin,
  'sec-fetch-site': 'same-origin',
  ...(csrf ? { 'x-csrf-token': csrf } : {}),
});

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  origin = base;
  for (const id of ['acme', 'globex']) {
    expect((await api('POST', '/v1/admin/tenants', { headers: bearer(ADMIN), body: { id, name: id } })).status).toBe(
      201,
    );
  }
  fullKey = (await api('POST', '/v1/admin/tenants/acme/keys', { headers: bearer(ADMIN), body: { name: 'full' } })).body
    .key;
  const read = await api('POST', '/v1/admin/tenants/acme/keys', {
    headers: bearer(ADMIN),
    body: { name: 'read', scopes: ['history:read'] },
  });
  readKey = read.body.key;
});
afterAll(async () => {
  await t.dispose();
});

describe('console sign-in', () => {
  it('exchanges a tenant key for an httpOnly SameSite=Strict cookie, answers GET, and signs out for good', async () => {
    const session = await signIn(fullKey);
    expect(session.body).toMatchObject({ kind: 'tenant', tenant_id: 'acme', scopes: expect.arrayContaining(['chat']) });
    expect(session.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(Date.parse(session.body.expires_at)).toBeGreaterThan(Date.now());
    expect(session.setCookie).toMatch(/^enclave_console=[A-Za-z0-9_-]{43};/);
    expect(session.setCookie).toContain('HttpOnly');
    expect(session.setCookie).toContain('SameSite=Strict');
    expect(session.setCookie).toContain('Path=/');
    // Plain HTTP to a loopback host: no Secure (the browser would drop it on http://127.0.0.1).
    expect(session.setCookie).not.toContain('Secure');
    // The cookie is not the key and the body does not hold it.
    expect(session.setCookie).not.toContain(fullKey);
    expect(JSON.stringify(session.body)).not.toContain(fullKey);

    const again = await api('GET', '/console/api/session', { headers: { cookie: session.cookie } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(session.body);
    expect(again.headers.get('cache-control')).toBe('no-store');

    const out = await api('DELETE', '/console/api/session', { headers: consoleHeaders(session, session.csrf) });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^enclave_console=; Max-Age=0/);
    const after = await api('GET', '/console/api/session', { headers: { cookie: session.cookie } });
    expect([after.status, after.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const v1 = await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } });
    expect([v1.status, v1.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('sets Secure when the request is not plain HTTP to a loopback host', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/console/api/session',
      headers: { host: 'enclave.example.com', 'content-type': 'application/json' },
      payload: { key: fullKey },
    });
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Secure$/);
  });

  it('refuses a bad key with 401 problem+json, and a sign-in from a foreign page', async () => {
    for (const key of [
      'nope',
      `enc_${'A'.repeat(38)}`,
      `${fullKey.slice(0, -1)}${fullKey.endsWith('x') ? 'y' : 'x'}`,
    ]) {
      const response = await api('POST', '/console/api/session', { body: { key } });
      expect([response.status, response.body.code], key).toEqual([401, 'UNAUTHENTICATED']);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    const foreign = await api('POST', '/console/api/session', {
      headers: { origin: 'https://evil.example' },
      body: { key: fullKey },
    });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'CSRF_REJECTED']);
    const empty = await api('POST', '/console/api/session', { body: {} });
    expect([empty.status, empty.body.code]).toEqual([422, 'VALIDATION_FAILED']);
    const none = await api('GET', '/console/api/session');
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('the admin key signs in as the operator and reaches the admin routes by cookie', async () => {
    const session = await signIn(ADMIN);
    expect(session.body).toEqual({
      kind: 'operator',
      scopes: [],
      csrf_token: expect.any(String),
      expires_at: expect.any(String),
    });
    const tenants = await api('GET', '/v1/admin/tenants', { headers: { cookie: session.cookie } });
    expect(tenants.status).toBe(200);
    expect(tenants.body.data.map((tenant: { id: string }) => tenant.id)).toEqual(['acme', 'globex']);
  });
});

describe('the console cookie on the public API', () => {
  it('carries exactly the scopes of the key that signed in', async () => {
    const session = await signIn(readKey);
    expect(session.body.scopes).toEqual(['history:read']);
    expect((await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } })).status).toBe(200);
    const write = await api('POST', '/v1/sessions', { headers: consoleHeaders(session, session.csrf), body: {} });
    expect([write.status, write.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const admin = await api('GET', '/v1/admin/tenants', { headers: { cookie: session.cookie } });
    expect([admin.status, admin.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
  });

  it('refuses a state-changing request without the CSRF token, with a wrong one, or from another origin', async () => {
    const session = await signIn(fullKey);
    const ok = await api('POST', '/v1/sessions', { headers: consoleHeaders(session, session.csrf), body: {} });
    expect(ok.status).toBe(201);
    const refusals: Record<string, string>[] = [
      { cookie: session.cookie, origin },
      { cookie: session.cookie, origin, 'x-csrf-token': `${session.csrf.slice(0, -2)}xx` },
      { cookie: session.cookie, origin: 'https://evil.example', 'x-csrf-token': session.csrf },
      { cookie: session.cookie, 'sec-fetch-site': 'cross-site', 'x-csrf-token': session.csrf },
      { cookie: session.cookie, 'sec-fetch-site': 'same-site', origin, 'x-csrf-token': session.csrf },
      // Neither Origin nor Sec-Fetch-Site: not known to come from the console.
      { cookie: session.cookie, 'x-csrf-token': session.csrf },
    ];
    for (const headers of refusals) {
      for (const method of ['POST', 'DELETE']) {
        const path = method === 'POST' ? '/v1/sessions' : `/v1/sessions/${ok.body.id}`;
        const response = await api(method, path, { headers, ...(method === 'POST' ? { body: {} } : {}) });
        expect([response.status, response.body.code], JSON.stringify(headers)).toEqual([403, 'CSRF_REJECTED']);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    // The session still exists: nothing was deleted.
    expect((await api('GET', `/v1/sessions/${ok.body.id}`, { headers: { cookie: session.cookie } })).status).toBe(200);
    // Sign-out is state-changing too.
    const out = await api('DELETE', '/console/api/session', { headers: { cookie: session.cookie, origin } });
    expect([out.status, out.body.code]).toEqual([403, 'CSRF_REJECTED']);
  });

  it('a Bearer header works as before and wins over a cookie', async () => {
    const session = await signIn(readKey);
    const response = await api('POST', '/v1/sessions', {
      headers: { cookie: session.cookie, ...bearer(fullKey) },
      body: {},
    });
    expect(response.status).toBe(201);
  });

  it('revoking the key ends its console sessions', async () => {
    const key = await api('POST', '/v1/admin/tenants/acme/keys', { headers: bearer(ADMIN), body: { name: 'short' } });
    const session = await signIn(key.body.key);
    expect((await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } })).status).toBe(200);
    const revoked = await api('DELETE', `/v1/admin/tenants/acme/keys/${key.body.id}`, { headers: bearer(ADMIN) });
    expect(revoked.status).toBe(204);
    const after = await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } });
    expect([after.status, after.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await api('GET', '/console/api/session', { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('suspending the tenant ends its console sessions; a suspended tenant cannot sign in', async () => {
    const key = await api('POST', '/v1/admin/tenants', { headers: bearer(ADMIN), body: { id: 'initech', name: 'I' } });
    expect(key.status).toBe(201);
    const tenantKey = (
      await api('POST', '/v1/admin/tenants/initech/keys', { headers: bearer(ADMIN), body: { name: 'k' } })
    ).body.key;
    const session = await signIn(tenantKey);
    const suspended = await api('POST', '/v1/admin/tenants/initech/suspend', { headers: bearer(ADMIN) });
    expect(suspended.status).toBe(200);
    const after = await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } });
    expect([after.status, after.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const again = await api('POST', '/console/api/session', { body: { key: tenantKey } });
    expect([again.status, again.body.code]).toEqual([403, 'TENANT_SUSPENDED']);
    // Resuming does not bring the ended session back.
    expect((await api('POST', '/v1/admin/tenants/initech/resume', { headers: bearer(ADMIN) })).status).toBe(200);
    expect((await api('GET', '/v1/sessions', { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it("a tenant cookie never reaches another tenant's data", async () => {
    const globexKey = (
      await api('POST', '/v1/admin/tenants/globex/keys', { headers: bearer(ADMIN), body: { name: 'g' } })
    ).body.key;
    const foreign = await api('POST', '/v1/sessions', { headers: bearer(globexKey), body: {} });
    const session = await signIn(fullKey);
    const read = await api('GET', `/v1/sessions/${foreign.body.id}`, { headers: { cookie: session.cookie } });
    expect([read.status, read.body.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    const named = await api('GET', '/v1/sessions', { headers: { cookie: session.cookie, 'tenant-id': 'globex' } });
    expect([named.status, named.body.code]).toEqual([403, 'TENANT_MISMATCH']);
    const admin = await api('GET', '/v1/admin/tenants/globex', { headers: { cookie: session.cookie } });
    expect([admin.status, admin.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
  });

  it('a forged or unknown cookie is refused', async () => {
    for (const cookie of ['enclave_console=abc', `enclave_console=${'A'.repeat(43)}`]) {
      const response = await api('GET', '/v1/sessions', { headers: { cookie } });
      expect([response.status, response.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'g'.repeat(40)}`;
let t: TestApp;
let key: string;
let keyId: string;
let readKey: string;

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token: string, payload?: object) {
  const response = await t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload ? { payload } : {}),
  });
  return { status: response.statusCode, body: response.body ? response.json() : null };
}

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  expect((await call('POST', '/v1/admin/tenants', ADMIN, { id: 'acme', name: 'Acme' })).status).toBe(201);
  expect((await call('POST', '/v1/admin/tenants', ADMIN, { id: 'globex', name: 'Globex' })).status).toBe(201);
  const created = await call('POST', '/v1/admin/tenants/acme/keys', ADMIN, { name: 'app' });
  key = created.body.key;
  keyId = created.body.id;
  readKey = (await call('POST', '/v1/admin/tenants/acme/keys', ADMIN, { name: 'r', scopes: ['history:read'] })).body
    .key;
  const session = await call('POST', '/v1/sessions', key, {});
  for (const content of ['one', 'two']) {
    expect((await call('POST', `/v1/sessions/${session.body.id}/messages`, key, { content })).status).toBe(200);
  }
  // Globex's turn must never show in Acme's figures.
  const globexKey = (await call('POST', '/v1/admin/tenants/globex/keys', ADMIN, { name: 'g' })).body.key;
  const other = await call('POST', '/v1/sessions', globexKey, {});
  await call('POST', `/v1/sessions/${other.body.id}/messages`, globexKey, { content: 'three' });
});
afterAll(async () => {
  await t.dispose();
});

describe('usage over time by month, key and user', () => {
  it('groups by month and key, with the mean latency', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const byMonth = await call('GET', '/v1/usage?group_by=month,key', readKey);
    expect(byMonth.status).toBe(200);
    expect(byMonth.body.data).toEqual([
      expect.objectContaining({ month, key_id: keyId, turns: 2, latency_ms_avg: expect.any(Number) }),
    ]);
    const byUser = await call('GET', '/v1/usage?group_by=day,user', readKey);
    expect(byUser.body.data).toEqual([expect.objectContaining({ day: expect.any(String), user_id: null, turns: 2 })]);
    const bad = await call('GET', '/v1/usage?group_by=week', readKey);
    expect([bad.status, bad.body.code]).toEqual([422, 'VALIDATION_FAILED']);
    const operator = await call('GET', '/v1/admin/tenants/acme/usage?group_by=month', ADMIN);
    expect(operator.body.data).toEqual([expect.objectContaining({ month, turns: 2 })]);
  });
});

describe("the tenant's own audit log", () => {
  it('lists the tenant entries newest first, needs keys:manage', async () => {
    const listed = await call('GET', '/v1/audit?limit=10', key);
    expect(listed.status).toBe(200);
    expect(listed.body.data.length).toBeGreaterThan(0);
    expect(listed.body.data.map((entry: { action: string }) => entry.action)).toContain('key.create');
    const ids = listed.body.data.map((entry: { id: string }) => entry.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const refused = await call('GET', '/v1/audit', readKey);
    expect([refused.status, refused.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const admin = await call('GET', '/v1/audit', ADMIN);
    expect([admin.status, admin.body.code]).toEqual([400, 'TENANT_ID_REQUIRED']);
  });
});

describe('provider health for operators', () => {
  it('shows circuit states and model call error rates to the admin only', async () => {
    const health = await call('GET', '/v1/admin/providers/health', ADMIN);
    expect(health.status).toBe(200);
    expect(health.body.circuits).toEqual(
      expect.arrayContaining([expect.objectContaining({ state: expect.stringMatching(/^(closed|half-open|open)$/) })]),
    );
    expect(health.body.calls).toEqual([
      { provider: 'simulated', completed: expect.any(Number), failed: 0, error_rate: 0 },
    ]);
    expect(health.body.calls[0].completed).toBeGreaterThanOrEqual(3);
    const tenant = await call('GET', '/v1/admin/providers/health', key);
    expect([tenant.status, tenant.body.code]).toEqual([403, 'ADMIN_REQUIRED']);
  });
});

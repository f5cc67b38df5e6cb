import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'c'.repeat(40)}`;
let t: TestApp;
let key: string;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
  const response = await t.app.inject({ method, url, headers: auth(key), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json() };
};

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/admin/tenants',
    headers: auth(ADMIN),
    payload: { id: 'busy', name: 'Busy', config: { systemPrompt: 'v1' } },
  });
  expect(created.statusCode).toBe(201);
  const keyResponse = await t.app.inject({
    method: 'POST',
    url: '/v1/admin/tenants/busy/keys',
    headers: auth(ADMIN),
    payload: { name: 'app' },
  });
  key = keyResponse.json().key;
});
afterAll(async () => {
  await t.dispose();
});

describe('concurrent config writes (issue #15, defect 4)', () => {
  it('gives each of 20 parallel updates its own new version, and each of 10 parallel rollbacks too', async () => {
    const updates = await Promise.all(
      Array.from({ length: 20 }, (_, index) => call('PATCH', '/v1/config', { systemPrompt: `prompt ${index}` })),
    );
    expect(updates.map((update) => update.status)).toEqual(Array(20).fill(200));
    const updated = updates.map((update) => update.body.version as number).sort((a, b) => a - b);
    expect(updated).toEqual(Array.from({ length: 20 }, (_, index) => index + 2));

    const rollbacks = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', '/v1/config/rollback', { version: 1 })),
    );
    expect(rollbacks.map((rollback) => rollback.status)).toEqual(Array(10).fill(200));
    const rolled = rollbacks.map((rollback) => rollback.body.version as number).sort((a, b) => a - b);
    expect(rolled).toEqual(Array.from({ length: 10 }, (_, index) => index + 22));

    const current = await call('GET', '/v1/config');
    expect(current.body).toMatchObject({ version: 31, config: { systemPrompt: 'v1' } });
    const versions = await call('GET', '/v1/config/versions?limit=100');
    expect(versions.body.data.map((entry: { version: number }) => entry.version)).toEqual(
      Array.from({ length: 31 }, (_, index) => 31 - index),
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'l'.repeat(40)}`;
type Headers = Record<string, string>;

let secured: TestApp;
let open: TestApp;
let keyA: Headers;

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const interact = (app: TestApp, payload: unknown, headers: Headers) =>
  app.app.inject({ method: 'POST', url: '/agent/interact', payload: payload as object, headers });
const history = (app: TestApp, tenantId: string, headers: Headers) =>
  app.app.inject({ method: 'GET', url: `/agent/history/${tenantId}`, headers });

beforeAll(async () => {
  secured = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  open = await createTestApp();
  for (const id of ['legacy-a', 'legacy-b']) {
    const created = await secured.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: bearer(ADMIN),
      payload: { id },
    });
    expect(created.statusCode).toBe(201);
  }
  const key = await secured.app.inject({
    method: 'POST',
    url: '/v1/admin/tenants/legacy-a/keys',
    headers: bearer(ADMIN),
    payload: { name: 'a' },
  });
  keyA = bearer(key.json().key);
});
afterAll(async () => {
  await secured?.dispose();
  await open?.dispose();
});

describe('legacy routes and the Tenant-ID header', () => {
  it('POST /agent/interact answers 403 TENANT_MISMATCH when Tenant-ID names another tenant, as /v1 does', async () => {
    const response = await interact(
      secured,
      { tenant_id: 'legacy-a', message: 'Hello' },
      { ...keyA, 'tenant-id': 'legacy-b' },
    );
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().code).toBe('TENANT_MISMATCH');
    // Nothing ran: the tenant's legacy history is still empty.
    expect((await history(secured, 'legacy-a', keyA)).json().history).toEqual([]);
  });

  it('GET /agent/history/{id} answers 403 TENANT_MISMATCH when Tenant-ID names another tenant', async () => {
    const response = await history(secured, 'legacy-a', { ...keyA, 'tenant-id': 'legacy-b' });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('TENANT_MISMATCH');
  });

  it('an admin naming one tenant in the body or path and another in Tenant-ID gets 403 TENANT_MISMATCH', async () => {
    const interaction = await interact(
      secured,
      { tenant_id: 'legacy-a', message: 'Hello' },
      { ...bearer(ADMIN), 'tenant-id': 'legacy-b' },
    );
    expect(interaction.json().code).toBe('TENANT_MISMATCH');
    const read = await history(secured, 'legacy-b', { ...bearer(ADMIN), 'tenant-id': 'legacy-a' });
    expect(read.json().code).toBe('TENANT_MISMATCH');
  });

  it('a Tenant-ID header naming the credential’s own tenant changes nothing', async () => {
    const response = await interact(
      secured,
      { tenant_id: 'legacy-a', message: 'Hello' },
      { ...keyA, 'tenant-id': 'legacy-a' },
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().tenant_id).toBe('legacy-a');
    const read = await history(secured, 'legacy-a', { ...keyA, 'tenant-id': 'legacy-a' });
    expect(read.statusCode).toBe(200);
    expect(read.json().history).toHaveLength(1);
  });

  it('with auth disabled the header is ignored, as the original API ignored it (the seed contract)', async () => {
    const response = await interact(open, { tenant_id: 'seed-a', message: 'Hello' }, { 'tenant-id': 'seed-b' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ tenant_id: 'seed-a', response: "Agent response to 'Hello' with context: " });
    const read = await history(open, 'seed-a', { 'tenant-id': 'seed-b' });
    expect(read.statusCode).toBe(200);
    expect(read.json().history).toEqual([{ message: 'Hello', response: "Agent response to 'Hello' with context: " }]);
  });
});

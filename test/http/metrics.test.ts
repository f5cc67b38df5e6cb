import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'m'.repeat(40)}`;
let t: TestApp;
let key: string;
const admin = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
  await t.app.inject({
    method: 'POST',
    url: '/v1/admin/tenants',
    headers: admin,
    payload: { id: 'secret-tenant-name', config: { limits: { requestsPerMinute: 3 } } },
  });
  key = (
    await t.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants/secret-tenant-name/keys',
      headers: admin,
      payload: { name: 'k' },
    })
  ).json().key;
});
afterAll(async () => {
  await t.dispose();
});

describe('/metrics', () => {
  it('counts requests by route pattern, turns, tokens, tool calls and limit refusals, with no tenant labels', async () => {
    const headers = { authorization: `Bearer ${key}` };
    const interact = (message: string) =>
      t.app.inject({
        method: 'POST',
        url: '/agent/interact',
        headers,
        payload: { tenant_id: 'secret-tenant-name', message },
      });
    expect((await interact('hello')).statusCode).toBe(200);
    expect((await interact('what is the current_time?')).statusCode).toBe(200);
    await interact('x');
    expect((await interact('y')).statusCode).toBe(429);

    const response = await t.app.inject({ method: 'GET', url: '/metrics', headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).toMatch(/enclave_http_requests_total\{method="POST",route="\/agent\/interact",status="200"\} 3/);
    expect(text).toMatch(/enclave_turn_duration_seconds_count\{outcome="completed"\} 3/);
    expect(text).toMatch(/enclave_tool_calls_total 1/);
    expect(text).toMatch(/enclave_tokens_total\{direction="input"\} [1-9]/);
    expect(text).toMatch(/enclave_limit_rejections_total\{code="RATE_LIMITED"\} 1/);
    expect(text).toMatch(/enclave_nodejs_eventloop_lag_seconds/);
    expect(text).not.toContain('secret-tenant-name');
  });

  it('needs the admin credential when auth is on', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const tenant = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${key}` } });
    expect([403, 429]).toContain(tenant.statusCode);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awayFromMinuteEdge } from '../helpers/fixed-window.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'z'.repeat(40)}`;
let t: TestApp;

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
async function call(method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: object) {
  const response = await t.app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}
async function tenantWithKey(id: string, limits: object, keyLimits: object | null = null): Promise<string> {
  expect((await call('POST', '/v1/admin/tenants', ADMIN, { id, config: { limits } })).status).toBe(201);
  return (await call('POST', `/v1/admin/tenants/${id}/keys`, ADMIN, { name: 'k', limits: keyLimits })).body.key;
}
const interact = (key: string, tenant: string) =>
  call('POST', '/agent/interact', key, { tenant_id: tenant, message: 'hello' });

beforeAll(async () => {
  t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN });
});
afterAll(async () => {
  await t.dispose();
});

describe('limits', () => {
  it('N+1 requests in a minute get 429 RATE_LIMITED with Retry-After and RateLimit headers; other tenants are unaffected', async () => {
    await awayFromMinuteEdge();
    const key = await tenantWithKey('rpm', { requestsPerMinute: 5 });
    const other = await tenantWithKey('rpm-other', { requestsPerMinute: 5 });
    for (let index = 0; index < 5; index++) expect((await interact(key, 'rpm')).status).toBe(200);
    const limited = await interact(key, 'rpm');
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-policy']).toMatch(/^"tenant-rpm";q=5;w=60/);
    expect(limited.headers.ratelimit).toMatch(/^"tenant-rpm";r=0;t=\d+/);
    // The 404 handler is limited too, and a tenant at its limit does not touch another tenant.
    expect((await call('GET', '/v1/nowhere', key)).status).toBe(429);
    expect((await interact(other, 'rpm-other')).status).toBe(200);
  });

  it('sends RateLimit headers on every response of a limited tenant (the limit with the least left), none without a limit', async () => {
    await awayFromMinuteEdge();
    const key = await tenantWithKey('rpm-headers', { requestsPerMinute: 10 });
    const first = await interact(key, 'rpm-headers');
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toMatch(/^"tenant-rpm";q=10;w=60/);
    expect(first.headers.ratelimit).toMatch(/^"tenant-rpm";r=9;t=\d+$/);
    const second = await call('GET', '/v1/sessions', key);
    expect(second.status).toBe(200);
    expect(second.headers.ratelimit).toMatch(/^"tenant-rpm";r=8;/);
    // An error response carries them too.
    const missing = await call('GET', '/v1/nowhere', key);
    expect(missing.status).toBe(404);
    expect(missing.headers.ratelimit).toMatch(/^"tenant-rpm";r=7;/);
    // The key's own limit, nearer exhaustion, is the one reported.
    const tight = await tenantWithKey('rpm-headers-key', { requestsPerMinute: 100 }, { requestsPerMinute: 3 });
    expect((await interact(tight, 'rpm-headers-key')).headers.ratelimit).toMatch(/^"key-rpm";r=2;/);
    const unlimited = await tenantWithKey('rpm-headers-none', {});
    const free = await interact(unlimited, 'rpm-headers-none');
    expect(free.status).toBe(200);
    expect(free.headers.ratelimit).toBeUndefined();
    expect(free.headers['ratelimit-policy']).toBeUndefined();
  });

  it('reports only the request quota in RateLimit headers of a served turn; a token limit shows on its own 429', async () => {
    await awayFromMinuteEdge();
    // The daily quota has less left after a turn than requests per minute, and still is not reported.
    const key = await tenantWithKey('token-headers', { requestsPerMinute: 100, tokensPerDay: 20 });
    const session = await call('POST', '/v1/sessions', key, {});
    expect(session.headers.ratelimit).toMatch(/^"tenant-rpm";r=99;/);
    const turn = await call('POST', `/v1/sessions/${session.body.id}/messages`, key, { content: 'hello' });
    expect(turn.status).toBe(200);
    expect(turn.headers['ratelimit-policy']).toMatch(/^"tenant-rpm";q=100;w=60/);
    expect(turn.headers.ratelimit).toMatch(/^"tenant-rpm";r=98;t=\d+$/);
    const legacy = await interact(key, 'token-headers');
    expect(legacy.status).toBe(200);
    expect(legacy.headers.ratelimit).toMatch(/^"tenant-rpm";r=97;/);
    // The refusal names the token limit alone, not the request quota counted on the way in.
    const refused = await interact(key, 'token-headers');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('QUOTA_EXCEEDED');
    expect(refused.headers['ratelimit-policy']).toMatch(/^"tenant-tokens-day";q=20;w=86400/);
    expect(refused.headers.ratelimit).toMatch(/^"tenant-tokens-day";r=0;t=\d+$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Token limits alone: no RateLimit headers on a served turn.
    const tokensOnly = await tenantWithKey('token-headers-only', { tokensPerMinute: 1000 });
    const served = await interact(tokensOnly, 'token-headers-only');
    expect(served.status).toBe(200);
    expect(served.headers.ratelimit).toBeUndefined();
    expect(served.headers['ratelimit-policy']).toBeUndefined();
    const slotsOnly = await tenantWithKey('token-headers-slots', { concurrentTurns: 2 });
    expect((await interact(slotsOnly, 'token-headers-slots')).headers.ratelimit).toBeUndefined();
  });

  it('applies a key own limit on top of the tenant limit', async () => {
    await awayFromMinuteEdge();
    const key = await tenantWithKey('per-key', { requestsPerMinute: 100 }, { requestsPerMinute: 2 });
    expect((await interact(key, 'per-key')).status).toBe(200);
    expect((await interact(key, 'per-key')).status).toBe(200);
    const limited = await interact(key, 'per-key');
    expect(limited.status).toBe(429);
    expect(limited.headers['ratelimit-policy']).toMatch(/^"key-rpm"/);
  });

  it('answers QUOTA_EXCEEDED once the daily token quota is used up', async () => {
    const key = await tenantWithKey('quota', { tokensPerDay: 20 });
    expect((await interact(key, 'quota')).status).toBe(200);
    expect((await interact(key, 'quota')).status).toBe(200);
    const refused = await interact(key, 'quota');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('QUOTA_EXCEEDED');
    expect(refused.headers['ratelimit-policy']).toMatch(/tokens-day/);
    // Usage shows what was charged: the quota is exact, not sampled.
    const usage = await call('GET', '/v1/usage', key);
    expect(usage.body.data[0].turns).toBe(2);
  });

  it('caps concurrent turns with CONCURRENCY_LIMITED and frees the slot afterwards', async () => {
    const key = await tenantWithKey('busy', { concurrentTurns: 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => interact(key, 'busy')));
    const statuses = results.map((result) => result.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    for (const result of results.filter((entry) => entry.status === 429)) {
      expect(result.body.code).toBe('CONCURRENCY_LIMITED');
    }
    expect((await interact(key, 'busy')).status).toBe(200);
  });
});

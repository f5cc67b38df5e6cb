import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, privateRedis } from '../helpers/private-redis.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'o'.repeat(40)}`;
const redis = await privateRedis();

/**
 * Issue #15: a turn stored and charged while Redis was away must answer as a success (its retry
 * with the same Idempotency-Key must not run it again), limited tenants get 503
 * LIMITS_UNAVAILABLE, and quotas survive Redis restarting empty. The test owns its redis-server.
 */
describe.skipIf(redis === null)('a Redis outage', () => {
  const server = redis as PrivateRedis;
  let t: TestApp;
  const run = randomUUID().slice(0, 8);
  const tenants = { free: `free-${run}`, capped: `capped-${run}`, spent: `spent-${run}` };
  const keys: Record<string, string> = {};
  let session = '';

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    token: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) => {
    const response = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json(), headers: response.headers };
  };
  const interact = (tenant: keyof typeof tenants, idempotencyKey?: string) =>
    inject(
      'POST',
      '/agent/interact',
      keys[tenant] as string,
      { tenant_id: tenants[tenant], message: 'hello' },
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    );
  const records = async (tenant: keyof typeof tenants) =>
    (await inject('GET', '/v1/usage/records?limit=100', keys[tenant] as string)).body.data.length;
  /** Polls /readyz until it answers `status` (bounded: 400 tries, 25 ms apart). */
  const readiness = async (status: number) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      if ((await t.app.inject('/readyz')).statusCode === status) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`/readyz never answered ${status}`);
  };

  beforeAll(async () => {
    t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, REDIS_URL: server.url });
    const limits = { free: {}, capped: { tokensPerMonth: 1_000_000 }, spent: { tokensPerMonth: 1 } };
    for (const name of ['free', 'capped', 'spent'] as const) {
      const id = tenants[name];
      await inject('POST', '/v1/admin/tenants', ADMIN, { id, config: { limits: limits[name] } });
      keys[name] = (await inject('POST', `/v1/admin/tenants/${id}/keys`, ADMIN, { name: 'k' })).body.key;
    }
    session = (await inject('POST', '/v1/sessions', keys.free as string, {})).body.id;
  });
  afterAll(async () => {
    await t?.dispose();
    await server.kill();
  });

  it('before: a month quota is used up', async () => {
    expect((await interact('spent')).status).toBe(200);
    expect((await interact('spent')).body.code).toBe('QUOTA_EXCEEDED');
    expect((await interact('capped')).status).toBe(200);
  });

  it('during: a tenant without limits is served once per Idempotency-Key; limited tenants get 503 LIMITS_UNAVAILABLE', async () => {
    await server.kill();
    await readiness(503);

    const first = await interact('free', 'free-1');
    expect(first.status).toBe(200);
    const retried = await interact('free', 'free-1');
    expect([retried.status, retried.headers['idempotent-replayed']]).toEqual([200, 'true']);
    expect(retried.body).toEqual(first.body);

    const refused = await interact('capped', 'capped-1');
    expect([refused.status, refused.body.code, refused.headers['retry-after']]).toEqual([
      503,
      'LIMITS_UNAVAILABLE',
      '5',
    ]);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);

    // A session turn needs the session lock, which lives in Redis: a clear 503, not a 500.
    const locked = await inject('POST', `/v1/sessions/${session}/messages`, keys.free as string, { content: 'hi' });
    expect([locked.status, locked.body.code, locked.headers['retry-after']]).toEqual([503, 'NOT_READY', '5']);
  });

  it('after Redis restarts empty: retries run once, and the month quota is rebuilt from the ledger', async () => {
    await server.start();
    await readiness(200);

    const ran = await interact('capped', 'capped-1');
    expect([ran.status, ran.headers['idempotent-replayed']]).toEqual([200, undefined]);
    expect((await interact('capped', 'capped-1')).headers['idempotent-replayed']).toBe('true');
    expect((await interact('free', 'free-1')).headers['idempotent-replayed']).toBe('true');

    const spent = await interact('spent');
    expect([spent.status, spent.body.code]).toEqual([429, 'QUOTA_EXCEEDED']);

    // Stored and charged exactly once each: one turn during the outage, one before and one after.
    expect(await records('free')).toBe(1);
    expect(await records('capped')).toBe(2);
    expect(await records('spent')).toBe(1);
  });
});

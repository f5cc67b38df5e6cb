import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, privateRedis } from '../helpers/private-redis.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'g'.repeat(40)}`;
const redis = await privateRedis();

/**
 * A Redis that keeps its connections but never answers (hung, paused, a stalled proxy) behaves like
 * a dead one: every command gives up after REDIS_COMMAND_TIMEOUT_MS, so limited tenants get 503
 * LIMITS_UNAVAILABLE, session turns 503 NOT_READY and /readyz 503, instead of stalling forever.
 * The test owns its redis-server and freezes it with SIGSTOP.
 */
describe.skipIf(redis === null)('a hung Redis', () => {
  const server = redis as PrivateRedis;
  let t: TestApp;
  const run = randomUUID().slice(0, 8);
  const tenants = { free: `free-${run}`, capped: `capped-${run}` };
  const keys: Record<string, string> = {};
  let session = '';

  const inject = async (method: 'GET' | 'POST', url: string, token: string, payload?: object) => {
    const response = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json(), headers: response.headers };
  };
  const interact = (tenant: keyof typeof tenants) =>
    inject('POST', '/agent/interact', keys[tenant] as string, { tenant_id: tenants[tenant], message: 'hello' });

  beforeAll(async () => {
    t = await createTestApp({
      ENCLAVE_AUTH: 'required',
      ENCLAVE_ADMIN_KEY: ADMIN,
      REDIS_URL: server.url,
      REDIS_COMMAND_TIMEOUT_MS: '250',
    });
    const limits = { free: {}, capped: { tokensPerMonth: 1_000_000 } };
    for (const name of ['free', 'capped'] as const) {
      const id = tenants[name];
      await inject('POST', '/v1/admin/tenants', ADMIN, { id, config: { limits: limits[name] } });
      keys[name] = (await inject('POST', `/v1/admin/tenants/${id}/keys`, ADMIN, { name: 'k' })).body.key;
    }
    session = (await inject('POST', '/v1/sessions', keys.free as string, {})).body.id;
    expect((await interact('capped')).status).toBe(200);
  });
  afterAll(async () => {
    server.resume();
    await t?.dispose();
    await server.kill();
  });

  it('answers like a dead Redis while it hangs, and works again once it answers', async () => {
    server.pause();
    try {
      const refused = await interact('capped');
      expect([refused.status, refused.body.code, refused.headers['retry-after']]).toEqual([
        503,
        'LIMITS_UNAVAILABLE',
        '5',
      ]);
      const locked = await inject('POST', `/v1/sessions/${session}/messages`, keys.free as string, { content: 'hi' });
      expect([locked.status, locked.body.code, locked.headers['retry-after']]).toEqual([503, 'NOT_READY', '5']);
      // A tenant without limits is still served on a route that needs no other Redis service.
      expect((await interact('free')).status).toBe(200);
      expect((await t.app.inject('/readyz')).statusCode).toBe(503);
    } finally {
      server.resume();
    }
    expect((await interact('capped')).status).toBe(200);
  });
});

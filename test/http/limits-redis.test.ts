import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { awayFromMinuteEdge } from '../helpers/fixed-window.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const redisUrl = await redisForTests();
const ADMIN = `admin-${'r'.repeat(40)}`;
let replicas: TestApp[] = [];

describe.skipIf(redisUrl === null)('limits on Redis, shared by two replicas', () => {
  beforeAll(async () => {
    const env = { ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, REDIS_URL: redisUrl as string };
    const first = await createTestApp(env);
    replicas = [first, await createTestApp(env, { dir: first.dir })];
  });
  afterAll(async () => {
    const [first, second] = replicas;
    await second?.dispose();
    await first?.dispose();
  });

  it('a tenant limit holds across replicas: the 11th request in the minute is refused wherever it lands', async () => {
    const [first, second] = replicas as [TestApp, TestApp];
    const tenant = `shared-${randomUUID().slice(0, 8)}`;
    const admin = { authorization: `Bearer ${ADMIN}` };
    await first.app.inject({
      method: 'POST',
      url: '/v1/admin/tenants',
      headers: admin,
      payload: { id: tenant, config: { limits: { requestsPerMinute: 10 } } },
    });
    const created = await first.app.inject({
      method: 'POST',
      url: `/v1/admin/tenants/${tenant}/keys`,
      headers: admin,
      payload: { name: 'k' },
    });
    const headers = { authorization: `Bearer ${created.json().key}` };
    const statuses: number[] = [];
    await awayFromMinuteEdge();
    for (let index = 0; index < 12; index++) {
      const replica = index % 2 === 0 ? first : second;
      const response = await replica.app.inject({ method: 'GET', url: '/v1/sessions', headers });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('/readyz checks Redis too', async () => {
    const response = await (replicas[0] as TestApp).app.inject('/readyz');
    expect(response.json()).toEqual({ status: 'ready' });
  });
});

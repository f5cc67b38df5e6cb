import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const ADMIN = `admin-${'d'.repeat(40)}`;
const redisUrl = await redisForTests();

/** The counters in this process's memory, and, when Redis runs, in Redis (shared by replicas). */
const STORES: { name: string; env: Record<string, string> }[] = [
  { name: 'memory', env: {} },
  ...(redisUrl ? [{ name: 'redis', env: { REDIS_URL: redisUrl } }] : []),
];

for (const store of STORES) {
  describe(`a deleted tenant's limit counters (${store.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, ...store.env });
    });
    afterAll(async () => {
      await t.dispose();
    });

    const call = async (method: 'POST' | 'DELETE', url: string, token: string, payload?: object) => {
      const response = await t.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      });
      return { status: response.statusCode, body: response.body ? response.json() : null };
    };
    const create = async (id: string) => {
      expect(
        (await call('POST', '/v1/admin/tenants', ADMIN, { id, config: { limits: { tokensPerDay: 20 } } })).status,
      ).toBe(201);
      return (await call('POST', `/v1/admin/tenants/${id}/keys`, ADMIN, { name: 'k' })).body.key as string;
    };
    const interact = (key: string, id: string) =>
      call('POST', '/agent/interact', key, { tenant_id: id, message: 'hello' });

    it('are deleted with it: a tenant created again with the same id starts with an unused quota', async () => {
      const id = `reborn-${randomUUID().slice(0, 8)}`;
      const first = await create(id);
      expect((await interact(first, id)).status).toBe(200);
      expect((await interact(first, id)).status).toBe(200);
      const spent = await interact(first, id);
      expect([spent.status, spent.body.code]).toEqual([429, 'QUOTA_EXCEEDED']);

      expect((await call('DELETE', `/v1/admin/tenants/${id}`, ADMIN)).status).toBe(204);
      const second = await create(id);
      expect((await interact(second, id)).status).toBe(200);
    });
  });
}

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { awayFromMinuteEdge } from '../helpers/fixed-window.ts';
import { type Replica, type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { TEST_DIALECT } from '../helpers/test-app.ts';

const redisUrl = await redisForTests();
const ADMIN = `admin-${'z'.repeat(40)}`;

/**
 * Two replicas of one deployment, each listening on a real port, sharing the database (PostgreSQL
 * in the `postgres` vitest project) and Redis: a tenant's rate limit holds across both under
 * concurrent load, and what one replica writes the other reads. (Cancelling a turn through the
 * other replica is two-replica-cancel.test.ts.)
 */
describe.skipIf(redisUrl === null)(`two replicas on ${TEST_DIALECT} and Redis`, () => {
  let set: ReplicaSet;
  let a: Replica;
  let b: Replica;

  const call = (replica: Replica, method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    request(replica.baseUrl, method, path, headers, body);

  /** A tenant created through A, with a key made through B. */
  async function tenantWithKey(config: Record<string, unknown> = {}) {
    const id = `two-${randomUUID().slice(0, 8)}`;
    const key = await createTenantWithKey(a.baseUrl, ADMIN, id, { config, key: { name: 'k' }, keyBaseUrl: b.baseUrl });
    return { id, headers: key.headers };
  }

  beforeAll(async () => {
    set = await startReplicas({
      count: 2,
      adminKey: ADMIN,
      env: { REDIS_URL: redisUrl as string },
    });
    [a, b] = set.replicas as [Replica, Replica];
  });
  afterAll(async () => {
    await set?.close();
  });

  it('a rate limit of 100/min holds across both replicas under 300 concurrent requests (within 1%)', async () => {
    const LIMIT = 100;
    const { headers } = await tenantWithKey({ limits: { requestsPerMinute: LIMIT } });
    await awayFromMinuteEdge();
    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, index) => call(index % 2 === 0 ? a : b, 'GET', '/v1/sessions', headers)),
    );
    const ok = statuses.filter((response) => response.status === 200).length;
    const refused = statuses.filter((response) => response.status === 429);
    console.log(
      `${TEST_DIALECT}: limit ${LIMIT}/min, 300 requests over 2 replicas: ${ok} allowed, ${refused.length} refused`,
    );
    expect(ok + refused.length).toBe(300);
    expect(Math.abs(ok - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.01);
    expect(refused.every((response) => response.json.code === 'RATE_LIMITED')).toBe(true);
  });

  it('a session and its turns written through A are read through B, and the reverse', async () => {
    const { headers } = await tenantWithKey();
    const session = await call(a, 'POST', '/v1/sessions', headers, { title: 'shared' });
    expect(session.status).toBe(201);
    const turn = await call(a, 'POST', `/v1/sessions/${session.json.id}/messages`, headers, {
      content: 'hello from A',
    });
    expect(turn.status).toBe(200);
    const onB = await call(b, 'GET', `/v1/sessions/${session.json.id}/messages`, headers);
    expect(onB.status).toBe(200);
    expect(onB.json.data.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant']);
    expect(JSON.stringify(onB.json.data[0].content)).toContain('hello from A');
    const second = await call(b, 'POST', `/v1/sessions/${session.json.id}/messages`, headers, {
      content: 'and from B',
    });
    expect(second.status).toBe(200);
    const onA = await call(a, 'GET', `/v1/sessions/${session.json.id}/messages`, headers);
    expect(onA.json.data.map((message: { seq: number }) => message.seq)).toEqual([1, 2, 3, 4]);
    expect((await call(b, 'GET', '/v1/sessions', headers)).json.data.map((s: { id: string }) => s.id)).toContain(
      session.json.id,
    );
  });
});

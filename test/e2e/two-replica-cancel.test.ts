import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { type Replica, type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { openSseStream, type SseEvent } from '../helpers/sse-stream.ts';

const redisUrl = await redisForTests();
const ADMIN = `admin-${'t'.repeat(40)}`;
const LONG = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');

/**
 * Two replicas of one deployment (one database, one Redis, each its own process state): a turn
 * running on A is cancelled through B. The database is the test dialect's unless `databaseUrl`
 * is passed to `startReplicas`.
 */
describe.skipIf(redisUrl === null)('cancelling a turn across replicas (Redis turn bus)', () => {
  let set: ReplicaSet;
  let a: Replica;
  let b: Replica;
  const auth: Record<string, Record<string, string>> = {};

  const post = async (replica: Replica, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(`${replica.baseUrl}${path}`, {
      method: 'POST',
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: JSON.parse(await response.text()) };
  };

  beforeAll(async () => {
    set = await startReplicas({
      count: 2,
      env: { ENCLAVE_AUTH: 'required', ENCLAVE_ADMIN_KEY: ADMIN, REDIS_URL: redisUrl as string },
      simulatedWordDelayMs: 20,
    });
    [a, b] = set.replicas as [Replica, Replica];
    const admin = { authorization: `Bearer ${ADMIN}` };
    for (const tenant of ['replica-owner', 'replica-other']) {
      const id = `${tenant}-${Date.now().toString(36)}`;
      await post(a, '/v1/admin/tenants', admin, { id });
      const key = await post(b, `/v1/admin/tenants/${id}/keys`, admin, { name: 'chat' });
      auth[tenant] = { authorization: `Bearer ${key.json.key}` };
    }
  });
  afterAll(async () => {
    await set?.close();
  });

  it('a turn started on A is cancelled through B; another tenant on B gets 404', async () => {
    const owner = auth['replica-owner'] as Record<string, string>;
    const session = (await post(a, '/v1/sessions', owner, {})).json.id;
    const stream = await openSseStream(`${a.baseUrl}/v1/sessions/${session}/messages`, {
      headers: owner,
      body: { content: LONG },
    });
    expect(stream.status).toBe(200);
    const start = (await stream.next()) as SseEvent;
    expect(start.event).toBe('turn-start');
    const turnId = String(start.data.turn_id);

    const foreign = await post(b, `/v1/turns/${turnId}/cancel`, auth['replica-other'] as Record<string, string>);
    expect([foreign.status, foreign.json.code]).toEqual([404, 'TURN_NOT_FOUND']);

    const accepted = await post(b, `/v1/turns/${turnId}/cancel`, owner);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ turn_id: turnId, status: 'cancelling' });

    const last = (await stream.rest()).at(-1) as SseEvent;
    expect([last.event, last.data.code]).toEqual(['error', 'TURN_CANCELLED']);

    // The turn has ended everywhere: neither replica finds it now.
    for (const replica of [a, b]) {
      expect((await post(replica, `/v1/turns/${turnId}/cancel`, owner)).json.code).toBe('TURN_NOT_FOUND');
    }
    // B reads what A stored.
    const messages = await fetch(`${b.baseUrl}/v1/sessions/${session}/messages`, { headers: owner });
    const page = (await messages.json()) as { data: { role: string; status: string }[] };
    const roles = page.data.map((message) => [message.role, message.status]);
    expect(roles).toEqual([
      ['user', 'completed'],
      ['assistant', 'cancelled'],
    ]);
  });
});

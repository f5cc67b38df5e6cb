import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { postTo, startTwoReplicas, type TwoReplicas } from '../helpers/replicas.ts';
import { connectSse, type SseMessage } from '../helpers/sse-client.ts';

const redisUrl = await redisForTests();
const ADMIN = `admin-${'t'.repeat(40)}`;
const LONG = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');

/**
 * Two replicas of one deployment (one database, one Redis, each its own process state): a turn
 * running on A is cancelled through B. The database is the test dialect's unless `databaseUrl`
 * is passed to `startTwoReplicas`.
 */
describe.skipIf(redisUrl === null)('cancelling a turn across replicas (Redis turn bus)', () => {
  let replicas: TwoReplicas;

  beforeAll(async () => {
    replicas = await startTwoReplicas({
      adminKey: ADMIN,
      env: { REDIS_URL: redisUrl as string },
      simulatedWordDelayMs: 20,
      tenants: ['replica-owner', 'replica-other'],
    });
  });
  afterAll(async () => {
    await replicas?.close();
  });

  it('a turn started on A is cancelled through B; another tenant on B gets 404', async () => {
    const { a, b, auth } = replicas;
    const owner = auth['replica-owner'] as Record<string, string>;
    const session = (await postTo(a, '/v1/sessions', owner, {})).json.id;
    const stream = await connectSse(`${a.baseUrl}/v1/sessions/${session}/messages`, {
      headers: owner,
      body: { content: LONG },
    });
    expect(stream.status).toBe(200);
    const start = (await stream.next()) as SseMessage;
    expect(start.event).toBe('turn-start');
    const turnId = String(start.data.turn_id);

    const foreign = await postTo(b, `/v1/turns/${turnId}/cancel`, auth['replica-other'] as Record<string, string>);
    expect([foreign.status, foreign.json.code]).toEqual([404, 'TURN_NOT_FOUND']);

    const accepted = await postTo(b, `/v1/turns/${turnId}/cancel`, owner);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ turn_id: turnId, status: 'cancelling' });

    const last = (await stream.rest()).at(-1) as SseMessage;
    expect([last.event, last.data.code]).toEqual(['turn-error', 'TURN_CANCELLED']);

    // The turn has ended everywhere: neither replica finds it now.
    for (const replica of [a, b]) {
      expect((await postTo(replica, `/v1/turns/${turnId}/cancel`, owner)).json.code).toBe('TURN_NOT_FOUND');
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

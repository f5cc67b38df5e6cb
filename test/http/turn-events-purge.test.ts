import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../helpers/external-services.ts';
import { type ReplicaSet, startReplicas } from '../helpers/replicas.ts';
import { createTenantWithKey, request } from '../helpers/request.ts';
import { connectSse, type SseClient } from '../helpers/sse-client.ts';

const ADMIN = `admin-${'p'.repeat(40)}`;
const admin = { authorization: `Bearer ${ADMIN}` };
// The reply quotes the message: a long message makes a turn that streams for a few seconds.
const LONG = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

type Headers = Record<string, string>;
const redisUrl = await redisForTests();

/** The same checks on both event logs: in this process's memory, and in Redis. */
const KINDS = [
  { name: 'memory', env: {} as Record<string, string>, available: true },
  { name: 'redis', env: { REDIS_URL: redisUrl ?? '' }, available: redisUrl !== null },
];

for (const kind of KINDS) {
  describe.skipIf(!kind.available)(`deletion purges turn events (${kind.name} event log)`, () => {
    let set: ReplicaSet;
    let baseUrl: string;
    let redis: Redis | null = null;

    beforeAll(async () => {
      set = await startReplicas({
        count: 1,
        adminKey: ADMIN,
        env: kind.env,
        simulatedWordDelayMs: 10,
      });
      baseUrl = (set.replicas[0] as { baseUrl: string }).baseUrl;
      if (kind.name === 'redis') redis = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 });
    });
    afterAll(async () => {
      await set?.close();
      await redis?.quit();
    });

    const call = (method: string, path: string, headers: Headers, body?: unknown) =>
      request(baseUrl, method, path, headers, body);

    /** A fresh tenant (unique: Redis outlives test runs) and its key's headers. */
    async function newTenant(id = `purge-${randomUUID().slice(0, 8)}`): Promise<{ id: string; headers: Headers }> {
      return { id, headers: (await createTenantWithKey(baseUrl, ADMIN, id)).headers };
    }

    const newSession = async (headers: Headers, body: Record<string, unknown> = {}) =>
      (await call('POST', '/v1/sessions', headers, body)).json.id as string;

    /** Streams a short turn to its end; its turn id. */
    async function completedTurn(headers: Headers, session: string): Promise<string> {
      const stream = await connectSse(`${baseUrl}/v1/sessions/${session}/messages`, {
        headers,
        body: { content: 'hi' },
      });
      const events = await stream.rest();
      expect(events.at(-1)?.event).toBe('turn-end');
      return String(events[0]?.data.turn_id);
    }

    /** Starts a long turn and follows it through the resume route, as a second client would. */
    async function followedTurn(headers: Headers, session: string) {
      const origin = await connectSse(`${baseUrl}/v1/sessions/${session}/messages`, {
        headers,
        body: { content: LONG },
      });
      const turnId = String((await origin.next())?.data.turn_id);
      const follower = await connectSse(`${baseUrl}/v1/turns/${turnId}/events`, { headers });
      expect(follower.status).toBe(200);
      expect((await follower.next())?.event).toBe('turn-start');
      return { turnId, origin, follower };
    }

    /** The follower's stream ends early: no `turn-end`, though the turn had more to say. */
    async function endsCut(follower: SseClient) {
      const rest = await follower.rest();
      expect(rest.map((event) => event.event)).not.toContain('turn-end');
      expect(rest.length).toBeLessThan(150);
    }

    async function resume(headers: Headers, turnId: string) {
      const answer = await connectSse(`${baseUrl}/v1/turns/${turnId}/events`, { headers });
      if (answer.status === 200) await answer.rest();
      return { status: answer.status, code: answer.json?.code, contentType: answer.headers.get('content-type') };
    }

    const notFound = { status: 404, code: 'TURN_NOT_FOUND', contentType: 'application/problem+json; charset=utf-8' };
    const logKey = (tenantId: string, turnId: string) => `enclave:turn-events:${tenantId}:${turnId}`;

    /** With Redis, whether the turn's stream is still stored (null for the memory log). */
    const stored = async (tenantId: string, turnId: string) =>
      redis ? (await redis.exists(logKey(tenantId, turnId))) === 1 : null;

    it('deleting a session: its turns answer 404 like unknown ones, a follower is cut off, other sessions keep theirs', async () => {
      const tenant = await newTenant();
      const [deleted, other] = [await newSession(tenant.headers), await newSession(tenant.headers)];
      const done = await completedTurn(tenant.headers, deleted);
      const kept = await completedTurn(tenant.headers, other);
      const running = await followedTurn(tenant.headers, deleted);

      expect((await call('DELETE', `/v1/sessions/${deleted}`, tenant.headers)).status).toBe(204);
      await endsCut(running.follower);
      await running.origin.rest();
      expect(await resume(tenant.headers, done)).toEqual(notFound);
      expect(await resume(tenant.headers, running.turnId)).toEqual(notFound);
      expect((await resume(tenant.headers, kept)).status).toBe(200);
      if (redis) {
        // Gone from Redis, the running turn's later events included: they could not write it back.
        expect([await stored(tenant.id, done), await stored(tenant.id, running.turnId)]).toEqual([false, false]);
        expect(await stored(tenant.id, kept)).toBe(true);
      }
    });

    it("erasing an end user: their turns' events go, another user's stay", async () => {
      const tenant = await newTenant();
      const alice = await completedTurn(tenant.headers, await newSession(tenant.headers, { user_id: 'alice' }));
      const bob = await completedTurn(tenant.headers, await newSession(tenant.headers, { user_id: 'bob' }));
      const running = await followedTurn(tenant.headers, await newSession(tenant.headers, { user_id: 'alice' }));

      const erased = await call('DELETE', `/v1/admin/tenants/${tenant.id}/users/alice`, admin);
      expect(erased.status).toBe(200);
      expect(Object.keys(erased.json)).not.toContain('turn_ids');
      await endsCut(running.follower);
      await running.origin.rest();
      expect(await resume(tenant.headers, alice)).toEqual(notFound);
      expect(await resume(tenant.headers, running.turnId)).toEqual(notFound);
      expect((await resume(tenant.headers, bob)).status).toBe(200);
      if (redis) {
        expect([await stored(tenant.id, alice), await stored(tenant.id, running.turnId)]).toEqual([false, false]);
        expect(await stored(tenant.id, bob)).toBe(true);
      }
    });

    it('deleting a tenant: every turn of its goes, a follower is cut off; a tenant whose id it prefixes keeps its own', async () => {
      const tenant = await newTenant();
      const sibling = await newTenant(`${tenant.id}-2`);
      const done = await completedTurn(tenant.headers, await newSession(tenant.headers));
      const kept = await completedTurn(sibling.headers, await newSession(sibling.headers));
      const running = await followedTurn(tenant.headers, await newSession(tenant.headers));

      expect((await call('DELETE', `/v1/admin/tenants/${tenant.id}`, admin)).status).toBe(204);
      await endsCut(running.follower);
      await running.origin.rest();
      expect((await resume(sibling.headers, kept)).status).toBe(200);
      if (redis) {
        expect(await redis.keys(`${logKey(tenant.id, '')}*`)).toEqual([]);
        expect([await stored(tenant.id, done), await stored(sibling.id, kept)]).toEqual([false, true]);
      }
      // The same id created again starts empty: the old turns are unknown to it.
      const again = await newTenant(tenant.id);
      expect(await resume(again.headers, done)).toEqual(notFound);
    });
  });
}

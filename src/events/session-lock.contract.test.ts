import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisForTests } from '../../test/helpers/external-services.ts';
import { isAppError } from '../core/errors.ts';
import type { SessionLease, SessionLock } from '../core/turns/session-lock.ts';
import { createMemorySessionLock } from './memory-session-lock.ts';
import { createRedisSessionLock } from './redis-session-lock.ts';

const redisUrl = await redisForTests();
const connections: Redis[] = [];
const log = { warn: () => {} };
let run = 0;

/** Two handles on one lock: in memory the same object; on Redis two connections, like two replicas. */
const ADAPTERS: {
  name: string;
  enabled: boolean;
  open(waitMs: number, lockTtlMs?: number): [SessionLock, SessionLock];
}[] = [
  {
    name: 'memory',
    enabled: true,
    open(waitMs) {
      const lock = createMemorySessionLock({ waitMs });
      return [lock, lock];
    },
  },
  {
    name: 'redis',
    enabled: redisUrl !== null,
    open(waitMs, lockTtlMs) {
      const prefix = `enclave-test:${process.pid}:${Date.now()}:${run++}:`;
      const make = () => {
        const connection = new Redis(redisUrl as string, { maxRetriesPerRequest: 2 });
        connections.push(connection);
        return createRedisSessionLock(connection, { waitMs, prefix, log, ...(lockTtlMs ? { lockTtlMs } : {}) });
      };
      return [make(), make()];
    },
  },
];

const codeOf = (error: unknown) => (isAppError(error) ? error.code : String(error));

afterAll(async () => {
  for (const connection of connections) await connection.quit();
});

for (const adapter of ADAPTERS) {
  describe.skipIf(!adapter.enabled)(`session lock contract: ${adapter.name}`, () => {
    let one: SessionLock;
    let two: SessionLock;
    beforeAll(() => {
      [one, two] = adapter.open(5_000);
    });

    it('reject: a held session answers SESSION_BUSY; another session or another tenant with the same id does not wait', async () => {
      const held = await one.acquire('t1', 'ses_a', { mode: 'reject' });
      await expect(two.acquire('t1', 'ses_a', { mode: 'reject' }).catch(codeOf)).resolves.toBe('SESSION_BUSY');
      const other = await two.acquire('t1', 'ses_b', { mode: 'reject' });
      const foreign = await two.acquire('t2', 'ses_a', { mode: 'reject' });
      await Promise.all([other.release(), foreign.release(), held.release()]);
      const again = await two.acquire('t1', 'ses_a', { mode: 'reject' });
      await again.release();
    });

    it('enqueue: waiting turns get the session one at a time, in arrival order; reject never jumps the queue', async () => {
      const first = await one.acquire('t1', 'ses_q', { mode: 'enqueue' });
      const order: string[] = [];
      const waiting: Promise<SessionLease>[] = [];
      for (const [index, name] of ['b', 'c', 'd', 'e'].entries()) {
        const lock = index % 2 === 0 ? two : one;
        waiting.push(
          lock.acquire('t1', 'ses_q', { mode: 'enqueue' }).then((lease) => {
            order.push(name);
            return lease;
          }),
        );
        // Each waiter is queued before the next one asks (on Redis: its first attempt has answered).
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await expect(one.acquire('t1', 'ses_q', { mode: 'reject' }).catch(codeOf)).resolves.toBe('SESSION_BUSY');
      await first.release();
      for (const pending of waiting) {
        const lease = await pending;
        // Only the holder has the session: nobody else got in meanwhile.
        expect(order.at(-1)).toBe(['b', 'c', 'd', 'e'][order.length - 1]);
        await lease.release();
      }
      expect(order).toEqual(['b', 'c', 'd', 'e']);
    });

    it('a waiter that gives up (abort or wait limit) leaves the queue without blocking the ones behind it', async () => {
      // A fresh pair with a short wait limit, on one shared lock.
      const [near, far] = adapter.open(150) as [SessionLock, SessionLock];
      const held = await near.acquire('t1', 'ses_w', { mode: 'enqueue' });
      const timedOut = far.acquire('t1', 'ses_w', { mode: 'enqueue' }).catch(codeOf);
      const controller = new AbortController();
      const aborted = near
        .acquire('t1', 'ses_w', { mode: 'enqueue', signal: controller.signal })
        .catch((error: unknown) => (error === 'gone' ? 'aborted' : codeOf(error)));
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.abort('gone');
      await expect(aborted).resolves.toBe('aborted');
      await expect(timedOut).resolves.toBe('SESSION_BUSY');
      // Queued after both gave up: it is next, so the release reaches it within its own wait limit.
      const patient = far.acquire('t1', 'ses_w', { mode: 'enqueue' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await held.release();
      const lease = await patient;
      await lease.release();
    });
  });
}

describe.skipIf(redisUrl === null)('session lock on Redis: a crashed holder', () => {
  it('a lock whose replica stopped refreshing it expires, and the next turn gets the session', async () => {
    const [crashing, survivor] = (ADAPTERS[1] as (typeof ADAPTERS)[number]).open(5_000, 300);
    await (crashing as SessionLock).acquire('t1', 'ses_crash', { mode: 'enqueue' });
    // The replica dies: its refresh timer stops and it never releases.
    await (crashing as SessionLock).close();
    const lease = await (survivor as SessionLock).acquire('t1', 'ses_crash', { mode: 'enqueue' });
    await lease.release();
  });
});

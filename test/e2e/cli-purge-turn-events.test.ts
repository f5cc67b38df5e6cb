import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcMonth } from '../../src/limits/calendar.ts';
import { keysFor } from '../../src/limits/keys.ts';
import { createRedisCounterStore } from '../../src/limits/redis-counter-store.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { newMessage } from '../fakes/new-message.ts';
import { redisForTests } from '../helpers/external-services.ts';
import { runCliInProcess } from '../helpers/run-cli.ts';

const redisUrl = await redisForTests();
let dir: string;
let databaseUrl: string;
let redis: Redis;

/** Runs the CLI's code in process against the temporary database and the test Redis. */
const enclave = (...args: string[]) =>
  runCliInProcess(args, { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl ?? '', LOG_LEVEL: 'silent' });

/** A tenant with one session and turn per user, written straight to the database; the turn ids by user. */
async function seed(tenantId: string, users: readonly string[]): Promise<Record<string, string>> {
  const { storage, admin } = await createStorage({ databaseUrl, sqliteSynchronous: 'NORMAL', migrate: true });
  try {
    await admin.createTenant({ id: tenantId, name: tenantId });
    const turns: Record<string, string> = {};
    for (const user of users) {
      const sessionId = `ses_${randomUUID()}`;
      await storage.createSession(
        tenantId,
        { id: sessionId, title: null, userId: user, metadata: {} },
        { createTenant: false },
      );
      const turnId = `msg_${randomUUID()}`;
      await storage.beginTurn(tenantId, {
        sessionId,
        createTenant: false,
        createSession: null,
        message: newMessage('user', [{ type: 'text', text: 'hello' }], turnId, { userId: user }),
      });
      turns[user] = turnId;
    }
    return turns;
  } finally {
    await storage.close();
  }
}

/** A turn's event log as the server keeps it in Redis (one stored event is enough). */
const logKey = (tenantId: string, turnId: string) => `enclave:turn-events:${tenantId}:${turnId}`;
const writeLog = (tenantId: string, turnId: string) =>
  redis.xadd(logKey(tenantId, turnId), '0-1', 'e', JSON.stringify({ type: 'text-delta', turnId, delta: 'x', seq: 1 }));
const exists = async (tenantId: string, turnId: string) => (await redis.exists(logKey(tenantId, turnId))) === 1;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'enclave-e2e-cli-purge-'));
  databaseUrl = `sqlite:${join(dir, 'enclave.db')}`;
  if (redisUrl) redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis?.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(redisUrl === null)('CLI deletions purge turn events kept in Redis (REDIS_URL)', () => {
  it("erase-user drops the erased user's turn logs; tenants delete drops every log of the tenant, no other's", async () => {
    const tenant = `cli-${randomUUID().slice(0, 8)}`;
    const turns = await seed(tenant, ['alice', 'bob']);
    const sibling = await seed(`${tenant}-2`, ['alice']);
    for (const turnId of Object.values(turns)) await writeLog(tenant, turnId);
    await writeLog(`${tenant}-2`, sibling.alice as string);

    const erased = await enclave('erase-user', tenant, 'alice', '--yes');
    expect(erased.code, erased.stderr).toBe(0);
    expect([await exists(tenant, turns.alice as string), await exists(tenant, turns.bob as string)]).toEqual([
      false,
      true,
    ]);

    const deleted = await enclave('tenants', 'delete', tenant, '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await redis.keys(`${logKey(tenant, '')}*`)).toEqual([]);
    expect(await exists(`${tenant}-2`, sibling.alice as string)).toBe(true);
    await redis.del(logKey(`${tenant}-2`, sibling.alice as string));
  });

  it("tenants delete drops the tenant's limit counters (a tenant created again must not inherit them), no other's", async () => {
    const tenant = `cli-${randomUUID().slice(0, 8)}`;
    await seed(tenant, []);
    const counters = createRedisCounterStore(redis);
    const now = Date.now();
    const month = utcMonth(now).resetAt;
    const monthKey = (tenantId: string) => keysFor({ tenantId, keyId: null }, now).tenant.month;
    await counters.incrementUntil(monthKey(tenant), 500, month, now);
    await counters.incrementUntil(monthKey(`${tenant}-2`), 500, month, now);

    const deleted = await enclave('tenants', 'delete', tenant, '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await counters.getUntil(monthKey(tenant), month, now)).exists).toBe(false);
    expect((await counters.getUntil(monthKey(`${tenant}-2`), month, now)).total).toBe(500);
    await counters.remove(monthKey(`${tenant}-2`), month);
  });
});

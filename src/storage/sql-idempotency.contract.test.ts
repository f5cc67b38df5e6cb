import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginUserTurn, newMessage, usageRecord as usage } from '../../test/fakes/new-message.ts';
import { type OpenedDatabase, storageDialects } from '../../test/helpers/storage-dialects.ts';
import type { Storage } from '../core/ports.ts';
import type { IdempotencyStore } from '../core/turns/idempotency.ts';
import { createStorage } from './create-storage.ts';

/**
 * Idempotency leases and commits on every dialect (PostgreSQL as the runtime role, under RLS). Two
 * storages opened on one database stand for two replicas.
 */
const DIALECTS = storageDialects('idempotency');

const TENANT = 'idem-lease';
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

const reply = (turnId: string) =>
  newMessage('assistant', [{ type: 'text', text: 'the reply' }], turnId, {
    final: true,
    usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
    latencyMs: 1,
  });

for (const dialect of DIALECTS) {
  describe(`idempotency leases: ${dialect.name}`, () => {
    let opened: OpenedDatabase | null;
    let replicas: { storage: Storage; idempotency: IdempotencyStore }[];

    beforeEach(async (context) => {
      opened = await dialect.open();
      if (!opened) return context.skip();
      const options = { ...opened, sqliteSynchronous: 'NORMAL' as const };
      const first = await createStorage({ ...options, migrate: true });
      const second = await createStorage({ ...options, migrate: false });
      replicas = [first, second];
    });
    afterEach(async () => {
      if (!opened) return;
      for (const { storage } of replicas) await storage.close();
      await opened.cleanup();
    });

    /** An in-progress claim as a process writes it, with its lease ending `leaseMs` from now. */
    async function claim(key: string, token: string, leaseMs: number) {
      const [{ idempotency }] = replicas as [(typeof replicas)[0]];
      const claimed = await idempotency.claimIdempotencyKey(TENANT, {
        key,
        fingerprint: 'f',
        token,
        userId: null,
        owner: 'ins_first',
        leaseExpiresAt: iso(leaseMs),
        createdAt: iso(0),
        expiresAt: iso(3_600_000),
      });
      expect(claimed).toBe(true);
    }

    const takeOver = (replica: (typeof replicas)[0], key: string, token: string) =>
      replica.idempotency.takeOverIdempotencyKey(TENANT, {
        key,
        token,
        owner: token,
        now: iso(0),
        leaseExpiresAt: iso(30_000),
      });

    it('a claim whose lease ended is taken over by exactly one of many racing takeovers on two replicas', async () => {
      await claim('k-race', 'idk_dead', -1000);
      const tokens = Array.from({ length: 10 }, (_, index) => `idk_${index}`);
      const results = await Promise.all(
        tokens.map((token, index) => takeOver(replicas[index % 2] as (typeof replicas)[0], 'k-race', token)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = tokens[results.indexOf(true)] as string;
      const row = await replicas[1]?.idempotency.getIdempotencyKey(TENANT, 'k-race', iso(0));
      expect(row).toMatchObject({ status: 'in_progress', owner: winner, response: null, turnId: null });
      // Only the winner renews; the holder that died has lost the key.
      expect(await replicas[0]?.idempotency.renewIdempotencyLease(TENANT, 'k-race', winner, iso(60_000))).toBe(true);
      expect(await replicas[0]?.idempotency.renewIdempotencyLease(TENANT, 'k-race', 'idk_dead', iso(60_000))).toBe(
        false,
      );
    });

    it('a claim whose lease is live is never taken over', async () => {
      await claim('k-live', 'idk_live', 30_000);
      expect(await takeOver(replicas[1] as (typeof replicas)[0], 'k-live', 'idk_other')).toBe(false);
      expect((await replicas[0]?.idempotency.getIdempotencyKey(TENANT, 'k-live', iso(0)))?.owner).toBe('ins_first');
    });

    it("another tenant can neither take over, renew nor commit under a tenant's key", async () => {
      const [{ storage, idempotency }] = replicas as [(typeof replicas)[0]];
      await claim('k-mine', 'idk_mine', -1000);
      const other = 'idem-other';
      const now = iso(0);
      const steal = { key: 'k-mine', token: 'idk_thief', owner: 'ins_thief', now, leaseExpiresAt: iso(30_000) };
      expect(await idempotency.takeOverIdempotencyKey(other, steal)).toBe(false);
      expect(await idempotency.renewIdempotencyLease(other, 'k-mine', 'idk_mine', iso(30_000))).toBe(false);
      const turnId = await beginUserTurn(storage, other, 'ses_other', 'hello');
      await expect(
        storage.completeTurn(other, 'ses_other', [reply(turnId)], usage('ses_other', turnId), {
          key: 'k-mine',
          token: 'idk_mine',
        }),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
      expect(await idempotency.getIdempotencyKey(TENANT, 'k-mine', now)).toMatchObject({
        status: 'in_progress',
        owner: 'ins_first',
      });
    });

    it('a turn commits together with its claim: completed with its turn id, never released or failed afterwards', async () => {
      const [{ storage, idempotency }] = replicas as [(typeof replicas)[0]];
      await claim('k-commit', 'idk_commit', 30_000);
      const turnId = await beginUserTurn(storage, TENANT, 'ses_commit', 'hello');
      await storage.completeTurn(TENANT, 'ses_commit', [reply(turnId)], usage('ses_commit', turnId), {
        key: 'k-commit',
        token: 'idk_commit',
      });
      const committed = await idempotency.getIdempotencyKey(TENANT, 'k-commit', iso(0));
      expect(committed).toMatchObject({ status: 'completed', turnId, response: null });

      // An error after the commit neither releases the key nor turns it into a failure.
      await idempotency.releaseIdempotencyKey(TENANT, 'k-commit', 'idk_commit');
      const problem = { status: 502, body: { code: 'PROVIDER_ERROR' }, turnId: null };
      await idempotency.completeIdempotencyKey(TENANT, 'k-commit', 'idk_commit', {
        status: 'failed',
        response: problem,
      });
      expect(await idempotency.getIdempotencyKey(TENANT, 'k-commit', iso(0))).toMatchObject({
        status: 'completed',
        turnId,
        response: null,
      });
      // Its response, once sent, is stored over the committed row.
      const answer = { status: 200, body: { turn_id: turnId }, turnId };
      await idempotency.completeIdempotencyKey(TENANT, 'k-commit', 'idk_commit', {
        status: 'completed',
        response: answer,
      });
      expect(await idempotency.getIdempotencyKey(TENANT, 'k-commit', iso(0))).toMatchObject({
        status: 'completed',
        response: answer,
      });
    });

    it('a holder whose claim was taken over cannot commit: nothing of its turn is stored, not even usage', async () => {
      const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      await claim('k-zombie', 'idk_zombie', -1000);
      const turnId = await beginUserTurn(first.storage, TENANT, 'ses_zombie', 'hello');
      expect(await takeOver(second, 'k-zombie', 'idk_new')).toBe(true);
      await expect(
        first.storage.completeTurn(TENANT, 'ses_zombie', [reply(turnId)], usage('ses_zombie', turnId), {
          key: 'k-zombie',
          token: 'idk_zombie',
        }),
      ).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
      expect((await first.storage.getTurn(TENANT, turnId)).map((message) => message.role)).toEqual(['user']);
      const day = iso(0).slice(0, 10);
      const charged = await first.storage.listUsage(TENANT, { limit: 10, beforeId: null, from: day, to: day });
      expect(charged).toEqual([]);
      expect((await second.idempotency.getIdempotencyKey(TENANT, 'k-zombie', iso(0)))?.status).toBe('in_progress');
    });
  });
}

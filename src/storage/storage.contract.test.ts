import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../../test/helpers/postgres.ts';
import { createConversationService } from '../core/conversations/conversation-service.ts';
import { messageText, type NewMessage } from '../core/conversations/message.ts';
import { createIds } from '../core/ids.ts';
import type { AdminStorage, Storage } from '../core/ports.ts';
import { DEFAULT_TENANT_CONFIG } from '../core/tenants/tenant-config.ts';
import { createStorage, openDatabase } from './create-storage.ts';
import { migrate } from './migrate.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.ts';

interface Opened {
  databaseUrl: string;
  databaseMigrationUrl?: string;
  cleanup(): Promise<void>;
}

/**
 * Every dialect the storage contract runs against. PostgreSQL gets a fresh database with its own
 * owner and runtime roles per test, and runs as the runtime role, so row-level security is on.
 */
const DIALECTS: { name: string; open(): Promise<Opened | null> }[] = [
  {
    name: 'sqlite file',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'enclave-contract-'));
      return {
        databaseUrl: `sqlite:${join(dir, 'contract.db')}`,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  { name: 'sqlite memory', open: async () => ({ databaseUrl: 'sqlite::memory:', cleanup: async () => {} }) },
  {
    name: 'postgres',
    async open() {
      if (!(await postgresAvailable())) return null;
      const database = await createTestDatabase();
      return { databaseUrl: database.url, databaseMigrationUrl: database.migrationUrl, cleanup: database.drop };
    },
  },
];

const ids = createIds();
const session = (id = ids.next('ses')) => ({ id, title: null, userId: null, metadata: {} });
const message = (text: string, role: NewMessage['role'] = 'user', turnId = ids.next('msg')): NewMessage => ({
  id: role === 'user' ? turnId : ids.next('msg'),
  turnId,
  role,
  status: 'completed',
  content: [{ type: 'text', text }],
  toolCalls: null,
  final: role === 'assistant',
  usage: role === 'assistant' ? { inputTokens: 3, outputTokens: 4, totalTokens: 7 } : null,
  model: role === 'assistant' ? 'simulated:simulated-1' : null,
  latencyMs: role === 'assistant' ? 1 : null,
  requestId: 'req-1',
  configVersion: role === 'assistant' ? 0 : null,
  userId: null,
});

for (const dialect of DIALECTS) {
  describe(`storage contract: ${dialect.name}`, () => {
    let opened: Opened | null;
    let storage: Storage;
    let admin: AdminStorage;

    beforeEach(async (context) => {
      opened = await dialect.open();
      if (!opened) return context.skip();
      ({ storage, admin } = await createStorage({ ...opened, sqliteSynchronous: 'NORMAL', migrate: true }));
    });
    afterEach(async () => {
      if (!opened) return;
      await storage.close();
      await opened.cleanup();
    });

    /** Runs one full legacy-style interaction: user message, then its final reply. */
    async function interact(tenantId: string, sessionId: string, text: string) {
      const user = await storage.beginTurn(tenantId, {
        sessionId,
        createTenant: true,
        createSession: session(sessionId),
        message: message(text),
      });
      await storage.appendMessages(tenantId, sessionId, [message(`reply to ${text}`, 'assistant', user.turnId)]);
      return user;
    }

    it('beginTurn creates tenant and session on demand and assigns seq 1, 2, 3…', async () => {
      const first = await interact('t1', 'ses_a', 'one');
      const second = await interact('t1', 'ses_a', 'two');
      expect([first.seq, second.seq]).toEqual([1, 3]);
      expect(await storage.getTenant('t1')).toMatchObject({ id: 't1' });
      expect((await storage.getSession('t1', 'ses_a'))?.messageCount).toBe(4);
    });

    it('beginTurn on a missing session fails with SESSION_NOT_FOUND, for known and unknown tenants alike', async () => {
      await interact('t1', 'ses_a', 'one');
      const attempt = (tenantId: string) =>
        storage.beginTurn(tenantId, {
          sessionId: 'ses_none',
          createTenant: false,
          createSession: null,
          message: message('x'),
        });
      await expect(attempt('t1')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      await expect(attempt('ghost')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    });

    it('concurrent appends on one session get unique, gap-free sequence numbers', async () => {
      await interact('t1', 'ses_a', 'seed');
      await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          storage.appendMessages('t1', 'ses_a', [message(`a${index}`, 'assistant'), message(`b${index}`, 'tool')]),
        ),
      );
      const all = await storage.listMessages('t1', 'ses_a', { limit: 1000, cursorSeq: null, order: 'asc' });
      expect(all.map((stored) => stored.seq)).toEqual(Array.from({ length: 82 }, (_, index) => index + 1));
    });

    it('getTurn returns one turn of the tenant in order, and nothing for another tenant with the same id', async () => {
      const first = await interact('t1', 'ses_a', 'one');
      await interact('t1', 'ses_a', 'two');
      await storage.appendMessages('t1', 'ses_a', [message('tool output', 'tool', first.turnId)]);
      const turn = await storage.getTurn('t1', first.turnId);
      expect(turn.map((stored) => [stored.role, stored.turnId])).toEqual([
        ['user', first.turnId],
        ['assistant', first.turnId],
        ['tool', first.turnId],
      ]);
      expect(turn.map((stored) => stored.seq)).toEqual([1, 2, 5]);
      expect(await storage.getTurn('t2', first.turnId)).toEqual([]);
      expect(await storage.getTurn('t1', 'msg_unknown')).toEqual([]);
    });

    it('forkSession copies a session up to one turn within the tenant, with new ids, and records the origin', async () => {
      const first = await interact('t1', 'ses_a', 'one');
      await interact('t1', 'ses_a', 'two');
      await interact('t2', 'ses_x', 'other tenant');
      const fork = await storage.forkSession('t1', {
        id: 'ses_fork',
        sourceSessionId: 'ses_a',
        throughTurnId: first.turnId,
      });
      expect(fork).toMatchObject({
        id: 'ses_fork',
        messageCount: 2,
        forkedFrom: { sessionId: 'ses_a', turnId: first.turnId },
      });
      const copied = await storage.listMessages('t1', 'ses_fork', { limit: 10, cursorSeq: null, order: 'asc' });
      expect(copied.map((stored) => [stored.seq, stored.role, messageText(stored.content)])).toEqual([
        [1, 'user', 'one'],
        [2, 'assistant', 'reply to one'],
      ]);
      // Its own ids: the copied turn is a turn of the fork, and the original turn is untouched.
      const copiedTurn = copied[0]?.turnId ?? '';
      expect(copiedTurn).not.toBe(first.turnId);
      expect(copied[0]?.id).toBe(copiedTurn);
      expect(copied[1]?.turnId).toBe(copiedTurn);
      expect((await storage.getTurn('t1', first.turnId)).map((stored) => stored.sessionId)).toEqual(['ses_a', 'ses_a']);
      expect((await storage.getSession('t1', 'ses_a'))?.messageCount).toBe(4);
      // The fork goes on numbering after its copy.
      const next = await storage.beginTurn('t1', {
        sessionId: 'ses_fork',
        createTenant: false,
        createSession: null,
        message: message('three'),
      });
      expect(next.seq).toBe(3);
      // Another tenant's session or turn is none: nothing is written.
      expect(
        await storage.forkSession('t2', { id: 'ses_f2', sourceSessionId: 'ses_a', throughTurnId: first.turnId }),
      ).toBeNull();
      expect(
        await storage.forkSession('t1', { id: 'ses_f3', sourceSessionId: 'ses_a', throughTurnId: 'msg_unknown' }),
      ).toBeNull();
      expect(await storage.getSession('t2', 'ses_f2')).toBeNull();
      expect(await storage.getSession('t1', 'ses_f3')).toBeNull();
    });

    it('never returns another tenant rows, even with the same session id', async () => {
      const alphaTurn = await interact('alpha', 'ses_shared', 'alpha secret');
      const betaTurn = await interact('beta', 'ses_shared', 'beta hello');
      const beta = await storage.listMessages('beta', 'ses_shared', { limit: 100, cursorSeq: null, order: 'asc' });
      expect(beta.every((stored) => stored.tenantId === 'beta')).toBe(true);
      expect(JSON.stringify(beta)).not.toContain('alpha secret');
      expect(
        JSON.stringify(
          await storage.contextMessages('beta', 'ses_shared', {
            afterSeq: 0,
            beforeSeq: 100,
            limit: 100,
            order: 'desc',
          }),
        ),
      ).not.toContain('alpha');
      expect(
        JSON.stringify(await storage.listInteractions('beta', 'ses_shared', { limit: 10, beforeSeq: null })),
      ).not.toContain('alpha');
      // The deleted turns are named (for purging their event logs): beta's only.
      expect(await storage.deleteSession('beta', 'ses_shared')).toEqual({ turnIds: [betaTurn.turnId] });
      expect(await storage.deleteSession('beta', 'ses_shared')).toBeNull();
      expect(await storage.getSession('alpha', 'ses_shared')).not.toBeNull();
      expect(await storage.getTurn('alpha', alphaTurn.turnId)).not.toEqual([]);
      expect(await storage.listSessions('beta', { limit: 10, beforeId: null })).toEqual([]);
    });

    it('listInteractions pairs each user message with its final reply and skips unfinished turns', async () => {
      await interact('t1', 'ses_a', 'one');
      await storage.beginTurn('t1', {
        sessionId: 'ses_a',
        createTenant: false,
        createSession: null,
        message: message('lost'),
      });
      await interact('t1', 'ses_a', 'three');
      const interactions = await storage.listInteractions('t1', 'ses_a', { limit: 10, beforeSeq: null });
      expect(interactions.map(({ message: text, response }) => [text, response])).toEqual([
        ['three', 'reply to three'],
        ['one', 'reply to one'],
      ]);
    });

    it('history pages cover every interaction exactly once, in order, for any size and limit', async () => {
      const conversations = createConversationService({ storage, ids });
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 12 }), async (count, limit) => {
          const sessionId = ids.next('ses');
          for (let index = 0; index < count; index++) await interact('prop', sessionId, `m${index}`);
          const seen: string[] = [];
          let before: string | undefined;
          for (let pages = 0; pages <= count + 1; pages++) {
            const page = await conversations.interactionHistory('prop', sessionId, { limit, before });
            expect(page.data.length).toBeLessThanOrEqual(limit);
            seen.unshift(...page.data.map((item) => item.message));
            if (!page.hasMore) break;
            before = page.nextCursor ?? undefined;
          }
          expect(seen).toEqual(Array.from({ length: count }, (_, index) => `m${index}`));
        }),
        { numRuns: 25 },
      );
    });

    it('admin: create, list with a cursor, and delete a tenant with everything it owns', async () => {
      await admin.createTenant({ id: 'a-tenant', name: 'A' });
      await expect(admin.createTenant({ id: 'a-tenant', name: 'A' })).rejects.toMatchObject({
        code: 'TENANT_ALREADY_EXISTS',
      });
      await interact('b-tenant', 'ses_b', 'hello');
      await storage.createSession('c-tenant', session('ses_c'), { createTenant: true });
      const first = await admin.listTenants({ limit: 2, afterId: null });
      expect(first.map((tenant) => tenant.id)).toEqual(['a-tenant', 'b-tenant']);
      expect((await admin.listTenants({ limit: 2, afterId: 'b-tenant' })).map((tenant) => tenant.id)).toEqual([
        'c-tenant',
      ]);
      expect(await admin.deleteTenant('b-tenant')).toBe(true);
      expect(await admin.deleteTenant('b-tenant')).toBe(false);
      expect(await storage.getSession('b-tenant', 'ses_b')).toBeNull();
      expect(await storage.listMessages('b-tenant', 'ses_b', { limit: 10, cursorSeq: null, order: 'asc' })).toEqual([]);
      expect(await storage.getSession('c-tenant', 'ses_c')).not.toBeNull();
    });

    it('createSession without createTenant refuses an unknown tenant', async () => {
      await expect(storage.createSession('nobody', session(), { createTenant: false })).rejects.toMatchObject({
        code: 'TENANT_NOT_FOUND',
      });
    });

    it('ping answers', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    it('getTenantConfigVersion finds only stored versions: they start at 1, and 0 is none', async () => {
      await storage.createSession('cfg', session(), { createTenant: true });
      const saved = await storage.appendTenantConfig('cfg', DEFAULT_TENANT_CONFIG, 'test');
      expect(saved.version).toBe(1);
      expect(await storage.getTenantConfigVersion('cfg', 1)).toMatchObject({ version: 1 });
      for (const version of [0, 2, -1]) expect(await storage.getTenantConfigVersion('cfg', version)).toBeNull();
      expect(await storage.getTenantConfigVersion('other', 1)).toBeNull();
    });
  });
}

describe('migrations', () => {
  it('are recorded, idempotent and survive a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-migrate-'));
    const url = `sqlite:${join(dir, 'm.db')}`;
    const first = await createStorage({ databaseUrl: url, sqliteSynchronous: 'FULL', migrate: true });
    const versions = SQLITE_MIGRATIONS.map((migration) => migration.version).sort((a, b) => a - b);
    expect(first.migration?.applied.map((applied) => applied.version)).toEqual(versions);
    await first.storage.close();
    const second = await createStorage({ databaseUrl: url, sqliteSynchronous: 'NORMAL', migrate: true });
    expect(second.migration).toEqual({ applied: [], current: versions.at(-1) });
    await second.storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLite migration 4 rebuilds messages keeping every row, and then accepts status cancelled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enclave-migrate-'));
    const url = `sqlite:${join(dir, 'm.db')}`;
    const database = await openDatabase({ databaseUrl: url, sqliteSynchronous: 'NORMAL' });
    await migrate(
      database,
      SQLITE_MIGRATIONS.filter((migration) => migration.version <= 3),
    );
    // Written as that release wrote them: today's storage writes columns that later migrations add.
    const sessionId = ids.next('ses');
    const at = new Date().toISOString();
    await database.run("INSERT INTO tenants (id, name, created_at) VALUES ('t', 't', ?)", [at]);
    await database.run(
      "INSERT INTO sessions (tenant_id, id, metadata, last_seq, created_at, updated_at) VALUES ('t', ?, '{}', 1, ?, ?)",
      [sessionId, at, at],
    );
    await database.run(
      `INSERT INTO messages (tenant_id, session_id, seq, id, turn_id, role, status, content, final, created_at)
       VALUES ('t', ?, 1, 'msg_kept', 'msg_kept', 'user', 'completed', ?, 0, ?)`,
      [sessionId, JSON.stringify([{ type: 'text', text: 'kept' }]), at],
    );
    await migrate(database, SQLITE_MIGRATIONS);
    await database.close();
    const migrated = await createStorage({ databaseUrl: url, sqliteSynchronous: 'NORMAL', migrate: true });
    const [kept] = await migrated.storage.listMessages('t', sessionId, { limit: 10, cursorSeq: null, order: 'asc' });
    expect(kept?.content).toEqual([{ type: 'text', text: 'kept' }]);
    const [cancelled] = await migrated.storage.appendMessages('t', sessionId, [
      { ...message('partial', 'assistant'), status: 'cancelled', final: false },
    ]);
    expect(cancelled?.status).toBe('cancelled');
    await migrated.storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

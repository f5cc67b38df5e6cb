import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { beginUserTurn, newMessage, usageRecord } from '../../test/fakes/new-message.ts';
import { type OpenedDatabase, storageDialects } from '../../test/helpers/storage-dialects.ts';
import { createIds } from '../core/ids.ts';
import type { Storage } from '../core/ports.ts';
import { createStorage } from './create-storage.ts';

/** The context, summary and search methods on every dialect (PostgreSQL as the runtime role, under RLS). */
const DIALECTS = storageDialects('context');

const ids = createIds();

/** A rolling summary's model call: 15 tokens. */
const usage = (sessionId: string, turnId: string) =>
  usageRecord(sessionId, turnId, { inputTokens: 10, outputTokens: 5, totalTokens: 15, status: 'summary' });

for (const dialect of DIALECTS) {
  describe(`context storage: ${dialect.name}`, () => {
    let opened: OpenedDatabase | null;
    let storage: Storage;

    beforeEach(async (context) => {
      opened = await dialect.open();
      if (!opened) return context.skip();
      ({ storage } = await createStorage({ ...opened, sqliteSynchronous: 'NORMAL', migrate: true }));
    });
    afterEach(async () => {
      if (!opened) return;
      await storage.close();
      await opened.cleanup();
    });

    /** One turn: a user message, and a reply (`final`), optionally after a tool call and its result. */
    async function turn(tenantId: string, sessionId: string, text: string, options: { tool?: boolean } = {}) {
      const turnId = await beginUserTurn(storage, tenantId, sessionId, text);
      const call = { toolCallId: `call_${turnId}`, toolName: 'current_time', input: {} };
      const steps = options.tool
        ? [
            newMessage('assistant', [{ type: 'tool-call', ...call }], turnId, { toolCalls: [call] }),
            newMessage('tool', [{ type: 'tool-result', ...call, output: { now: 'then' } }], turnId),
          ]
        : [];
      await storage.appendMessages(tenantId, sessionId, [
        ...steps,
        newMessage('assistant', [{ type: 'text', text: `reply to ${text}` }], turnId, { final: true }),
      ]);
      return turnId;
    }

    it('contextMessages: user messages, final replies and tool steps, between the bounds, in either order', async () => {
      await turn('t', 'ses_a', 'one');
      await turn('t', 'ses_a', 'two', { tool: true });
      const failed = ids.next('msg');
      await storage.beginTurn('t', {
        sessionId: 'ses_a',
        createTenant: false,
        createSession: null,
        message: newMessage('user', [{ type: 'text', text: 'three' }], failed),
      });
      await storage.appendMessages('t', 'ses_a', [
        newMessage('assistant', [{ type: 'text', text: 'partial' }], failed, { status: 'failed' }),
      ]);
      const all = await storage.contextMessages('t', 'ses_a', {
        afterSeq: 0,
        beforeSeq: 100,
        limit: 100,
        order: 'asc',
      });
      expect(all.map((message) => [message.seq, message.role])).toEqual([
        [1, 'user'],
        [2, 'assistant'],
        [3, 'user'],
        [4, 'assistant'],
        [5, 'tool'],
        [6, 'assistant'],
        [7, 'user'],
      ]);
      const newest = await storage.contextMessages('t', 'ses_a', {
        afterSeq: 2,
        beforeSeq: 7,
        limit: 2,
        order: 'desc',
      });
      expect(newest.map((message) => message.seq)).toEqual([6, 5]);
      expect(
        await storage.contextMessages('other', 'ses_a', { afterSeq: 0, beforeSeq: 100, limit: 100, order: 'asc' }),
      ).toEqual([]);
    });

    it('session summaries: newest wins, a duplicate is refused with no usage charged, isolated by tenant, deleted with the session', async () => {
      const turnId = await turn('t', 'ses_a', 'one');
      await turn('u', 'ses_a', 'other tenant, same session id');
      const summary = { sessionId: 'ses_a', upToSeq: 2, text: 'first', model: 'simulated:simulated-1', tokenCount: 2 };
      expect(await storage.saveSessionSummary('t', summary, usage('ses_a', turnId))).toBe(true);
      expect(await storage.saveSessionSummary('t', { ...summary, text: 'again' }, usage('ses_a', turnId))).toBe(false);
      expect(
        await storage.saveSessionSummary('t', { ...summary, upToSeq: 4, text: 'second' }, usage('ses_a', turnId)),
      ).toBe(true);
      expect(await storage.latestSessionSummary('t', 'ses_a')).toMatchObject({ upToSeq: 4, text: 'second' });
      expect(await storage.latestSessionSummary('u', 'ses_a')).toBeNull();
      const records = await storage.listUsage('t', { limit: 10, beforeId: null, from: '2000-01-01', to: '2999-12-31' });
      expect(records.filter((record) => record.status === 'summary')).toHaveLength(2);
      const [aggregate] = await storage.aggregateUsage('t', { from: '2000-01-01', to: '2999-12-31', groupBy: [] });
      expect(aggregate).toMatchObject({ turns: 0, totalTokens: 30 });

      const exported: string[] = [];
      for await (const row of storage.exportTenant('t')) exported.push(row.table);
      expect(exported.filter((table) => table === 'session_summaries')).toHaveLength(2);

      expect(await storage.deleteSession('t', 'ses_a')).not.toBeNull();
      expect(await storage.latestSessionSummary('t', 'ses_a')).toBeNull();
    });

    it('aggregateUsage with keyId sums only that key of that tenant (the quota ledger)', async () => {
      const turnId = await turn('t', 'ses_a', 'one');
      const otherTurn = await turn('u', 'ses_a', 'other tenant');
      const summary = { sessionId: 'ses_a', upToSeq: 2, text: 's', model: 'simulated:simulated-1', tokenCount: 2 };
      await storage.saveSessionSummary('t', summary, { ...usage('ses_a', turnId), keyId: 'key_A' });
      await storage.saveSessionSummary('t', { ...summary, upToSeq: 3 }, { ...usage('ses_a', turnId), keyId: 'key_B' });
      await storage.saveSessionSummary('u', summary, { ...usage('ses_a', otherTurn), keyId: 'key_A' });
      const days = { from: '2000-01-01', to: '2999-12-31', groupBy: [] } as const;
      expect(await storage.aggregateUsage('t', { ...days, keyId: 'key_A' })).toMatchObject([{ totalTokens: 15 }]);
      expect(await storage.aggregateUsage('t', { ...days, keyId: 'key_C' })).toEqual([]);
      expect(await storage.aggregateUsage('t', days)).toMatchObject([{ totalTokens: 30 }]);
    });

    it('searchMessages: case-insensitive text match, wildcards literal, newest first, bounded, never another tenant', async () => {
      await turn('a', 'ses_a1', 'I like Pineapple pizza');
      await turn('a', 'ses_a2', 'pineapple again, 100% sure');
      const excluded = await turn('a', 'ses_a2', 'search for pineapple');
      await turn('b', 'ses_b1', 'B secret: pineapple recipe');
      await turn('b', 'ses_a1', 'B uses the same session id: pineapple');

      const hits = await storage.searchMessages('a', {
        query: 'PINEAPPLE',
        sessionId: null,
        excludeTurnId: excluded,
        limit: 20,
      });
      expect(hits.map((hit) => hit.text)).toEqual([
        'reply to pineapple again, 100% sure',
        'pineapple again, 100% sure',
        'reply to I like Pineapple pizza',
        'I like Pineapple pizza',
      ]);
      expect(hits.every((hit) => hit.sessionId.startsWith('ses_a'))).toBe(true);
      expect(
        (await storage.searchMessages('a', { query: 'pineapple', sessionId: 'ses_b1', excludeTurnId: null, limit: 20 }))
          .length,
      ).toBe(0);
      const sameId = await storage.searchMessages('a', {
        query: 'pineapple',
        sessionId: 'ses_a1',
        excludeTurnId: null,
        limit: 20,
      });
      expect(sameId.map((hit) => hit.text)).toEqual(['reply to I like Pineapple pizza', 'I like Pineapple pizza']);
      // % and _ match themselves only; JSON keys and structure are never matched.
      expect(
        (await storage.searchMessages('a', { query: '0%', sessionId: null, excludeTurnId: null, limit: 20 })).length,
      ).toBe(2);
      expect(
        (await storage.searchMessages('a', { query: '_', sessionId: null, excludeTurnId: null, limit: 20 })).length,
      ).toBe(0);
      expect(
        (await storage.searchMessages('a', { query: 'type', sessionId: null, excludeTurnId: null, limit: 20 })).length,
      ).toBe(0);
      expect(
        (await storage.searchMessages('a', { query: 'pineapple', sessionId: null, excludeTurnId: null, limit: 2 }))
          .length,
      ).toBe(2);
    });
  });
}

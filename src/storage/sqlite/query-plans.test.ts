import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { beginUserTurn, newMessage, usageRecord } from '../../../test/fakes/new-message.ts';
import { createStorage } from '../create-storage.ts';
import { withOpaqueLimits } from './open-sqlite.ts';

/**
 * SQLite has no statistics here (no ANALYZE), so its planner picks indexes by shape alone, and one
 * more index can turn a session's read into a scan of the tenant (it happened: docs/operations.md).
 * These tests record every statement the storage prepares while a session lives its life, and ask
 * SQLite how it would run each one that reads `messages`.
 */
type Storage = Awaited<ReturnType<typeof createStorage>>['storage'];

/** Every statement the storage prepares while `work` runs on the database file at `path`, by its SQL text. */
async function recordStatements(path: string, work: (storage: Storage) => Promise<void>) {
  const seen = new Set<string>();
  const prepare = DatabaseSync.prototype.prepare;
  const spy = vi.spyOn(DatabaseSync.prototype, 'prepare').mockImplementation(function (
    this: DatabaseSync,
    sql,
    ...rest
  ) {
    seen.add(sql);
    return prepare.call(this, sql, ...rest);
  });
  const { storage } = await createStorage({
    databaseUrl: `sqlite:${path}`,
    sqliteSynchronous: 'NORMAL',
    migrate: true,
  });
  seen.clear(); // the migrations' statements are not what a session runs
  try {
    await work(storage);
  } finally {
    spy.mockRestore();
  }
  return { statements: [...seen], storage };
}

describe('SQLite query plans of a session', () => {
  const dir = mkdtempSync(join(tmpdir(), 'enclave-plans-'));
  const path = join(dir, 'plans.db');
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('never scans messages, and reads a session through an index that names the session', async () => {
    const { statements, storage } = await recordStatements(path, async (storage) => {
      const tenantId = 'plans';
      const sessionId = 'ses_plans';
      const turns: string[] = [];
      for (let index = 0; index < 3; index++) {
        const turnId = await beginUserTurn(storage, tenantId, sessionId, `question ${index}`);
        turns.push(turnId);
        const reply = newMessage('assistant', [{ type: 'text', text: `answer ${index}` }], turnId, { final: true });
        await storage.completeTurn(tenantId, sessionId, [reply], usageRecord(sessionId, turnId));
      }
      await storage.contextWindow(tenantId, sessionId, { beforeSeq: 100, limit: 32, withSummary: true });
      await storage.listInteractions(tenantId, sessionId, { limit: 10, beforeSeq: null });
      await storage.listMessages(tenantId, sessionId, { limit: 10, cursorSeq: null, order: 'desc' });
      await storage.getTurn(tenantId, turns[1] as string);
      await storage.forkSession(tenantId, {
        id: 'ses_fork',
        sourceSessionId: sessionId,
        throughTurnId: turns[1] as string,
      });
      await storage.deleteSession(tenantId, sessionId);
    });
    close = () => storage.close();

    const readsOfMessages = statements.filter((sql) =>
      /^\s*(SELECT|DELETE|UPDATE)\b[\s\S]*\bFROM messages\b/i.test(sql),
    );
    // The fork point, the turn lookup, the context window, the history join and the session delete.
    expect(readsOfMessages.length).toBeGreaterThanOrEqual(6);
    const database = new DatabaseSync(path, { readOnly: true });
    const plans = readsOfMessages.map((sql) => ({ sql, plan: explain(database, sql) }));
    database.close();
    for (const { sql, plan } of plans) {
      // A full scan of the table, of any alias of it.
      expect(plan, sql).not.toMatch(/^SCAN (messages|[a-z])\b/m);
      // A statement that names one session finds its rows by it (the session's primary-key range or the turn index with it).
      if (/\bsession_id = \?/.test(sql) && !/\bIN \(/.test(sql)) {
        const messageSearches = plan.split('\n').filter((line) => /^SEARCH (messages|[a-z]) /.test(line));
        for (const line of messageSearches) expect(line, sql).toMatch(/session_id=\?/);
      }
    }
  });
});

/** SQLite's plan for `sql` (as the storage prepares it), one detail per line. */
function explain(database: DatabaseSync, sql: string): string {
  const rows = database.prepare(`EXPLAIN QUERY PLAN ${withOpaqueLimits(sql)}`).all() as { detail: string }[];
  return rows.map((row) => row.detail).join('\n');
}

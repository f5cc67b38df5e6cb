import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from './open-sqlite.ts';
import { createWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

/** A WAL database whose own connection never checkpoints, with `rows` rows of 1 KB committed one by one. */
function walDatabase(rows: number): { path: string; database: DatabaseSync } {
  const path = join(mkdtempSync(join(tmpdir(), 'wal-checkpointer-')), 'test.db');
  const database = new DatabaseSync(path);
  open.push(database);
  database.exec('PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0');
  database.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const insert = database.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  for (let k = 0; k < rows; k++) insert.run(k, 'x'.repeat(1_000));
  return { path, database };
}

function checkpointer(path: string, options: { startAfterCommits?: number; idleStopMs?: number } = {}) {
  const failures: Error[] = [];
  const created: WalCheckpointer = createWalCheckpointer({
    path,
    synchronous: 'NORMAL',
    ...options,
    onFailure: (error) => failures.push(error),
  });
  open.push(created);
  return { checkpointer: created, failures };
}

describe('WAL checkpointer', () => {
  it('copies what was committed into the database file on its own thread', async () => {
    const { path, database } = walDatabase(400);
    const before = statSync(path).size;
    const { checkpointer: subject, failures } = checkpointer(path, { startAfterCommits: 1 });
    subject.committed();
    await expect.poll(() => subject.stats().passes, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const stats = subject.stats();
    expect(stats.running).toBe(true);
    expect(stats.log).toBeGreaterThan(100);
    expect(stats.checkpointed).toBe(stats.log);
    // The pages are in the database file now, and the data reads back the same.
    expect(statSync(path).size).toBeGreaterThan(before + 300_000);
    expect(database.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 400 });
    expect(failures).toEqual([]);
  });

  it('starts no thread before enough commits, and stops it again when commits stop', async () => {
    const { path } = walDatabase(10);
    const { checkpointer: subject } = checkpointer(path, { startAfterCommits: 3, idleStopMs: 50 });
    subject.committed();
    subject.committed();
    expect(subject.stats()).toMatchObject({ passes: 0, running: false });
    subject.committed();
    expect(subject.stats().running).toBe(true);
    await expect.poll(() => subject.stats().passes, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => subject.stats().running, { timeout: 10_000 }).toBe(false);
    // The next commit starts it again at once.
    subject.committed();
    await expect.poll(() => subject.stats().passes, { timeout: 10_000 }).toBe(2);
  });

  it('asks for one pass at a time: commits during a pass are covered by one more pass', async () => {
    const { path } = walDatabase(50);
    const { checkpointer: subject } = checkpointer(path, { startAfterCommits: 1 });
    for (let commit = 0; commit < 20; commit++) subject.committed();
    await expect.poll(() => subject.stats().passes, { timeout: 10_000 }).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subject.stats().passes).toBe(2);
  });

  it('reports a failure once and stops asking, so the caller can checkpoint itself', async () => {
    const { checkpointer: subject, failures } = checkpointer(join(tmpdir(), 'no-such-folder', 'x', 'missing.db'), {
      startAfterCommits: 1,
    });
    subject.committed();
    await expect.poll(() => failures.length, { timeout: 10_000 }).toBe(1);
    expect(failures[0]?.message).toMatch(/checkpoint/);
    subject.committed();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toHaveLength(1);
    expect(subject.stats().running).toBe(false);
  });

  it('on a server database: the writing connection keeps a backstop threshold, and closing stops the thread', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wal-checkpointer-')), 'server.db');
    const database = openSqlite({ path, synchronous: 'NORMAL' });
    expect(await database.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10_000 });
    await database.transaction((client) => client.run('CREATE TABLE t (k INTEGER PRIMARY KEY)'));
    for (let k = 0; k < 120; k++)
      await database.transaction((client) => client.run('INSERT INTO t (k) VALUES (?)', [k]));
    await database.close();
    // The last connection to close checkpoints and removes the WAL: the thread had closed its own.
    expect(() => statSync(`${path}-wal`)).toThrow();
    const reopened = new DatabaseSync(path);
    expect(reopened.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 120 });
    reopened.close();
  });

  it('an in-memory database has no WAL and no thread', async () => {
    const database = openSqlite({ path: ':memory:', synchronous: 'NORMAL' });
    expect(await database.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1_000 });
    await database.close();
  });
});

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createWalPresync } from './wal-presync.ts';

/** Resolves once `check` holds, polling each loop turn (a background fsync takes a few ms). */
async function until(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries++) {
    if (tries > 2_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('the background flush of the write-ahead log', () => {
  const databases: DatabaseSync[] = [];
  afterEach(() => {
    for (const database of databases.splice(0)) database.close();
  });

  /** A database in WAL mode with one commit in its log. */
  function walDatabase() {
    const path = join(mkdtempSync(join(tmpdir(), 'wal-presync-')), 'presync.db');
    const database = new DatabaseSync(path);
    databases.push(database);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    return { path, walPath: `${path}-wal`, database };
  }

  it('flushes after a commit, at most once per interval and never two at once', async () => {
    const { walPath } = walDatabase();
    let clock = 0;
    const presync = createWalPresync(walPath, { intervalMs: 50, now: () => clock });
    presync.committed();
    // One in flight: a second commit meanwhile starts none.
    presync.committed();
    await until(() => presync.syncs === 1);
    clock = 10;
    presync.committed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(presync.syncs).toBe(1);
    clock = 60;
    presync.committed();
    await until(() => presync.syncs === 2);
    presync.close();
  });

  it('does nothing while there is no log file, and starts once there is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wal-presync-'));
    const walPath = join(dir, 'none.db-wal');
    let clock = 0;
    const presync = createWalPresync(walPath, { now: () => clock });
    presync.committed();
    expect(existsSync(walPath)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(presync.syncs).toBe(0);
    const database = new DatabaseSync(join(dir, 'none.db'));
    databases.push(database);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('CREATE TABLE t (k TEXT)');
    clock = 1_000;
    presync.committed();
    await until(() => presync.syncs === 1);
    presync.close();
  });

  it('closed while a flush runs, lets it finish and starts no other', async () => {
    const { walPath, database } = walDatabase();
    let clock = 0;
    const presync = createWalPresync(walPath, { now: () => clock });
    presync.committed();
    presync.close();
    await until(() => presync.syncs === 1);
    database.exec("INSERT INTO t (k) VALUES ('a')");
    clock = 1_000;
    presync.committed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(presync.syncs).toBe(1);
  });
});

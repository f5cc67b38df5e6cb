import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from './open-sqlite.ts';
import { createWalPresync } from './wal-presync.ts';

/** Resolves once `check` holds, polling every millisecond (a background flush takes a few ms). */
async function until(check: () => boolean): Promise<void> {
  for (let tries = 0; !check(); tries++) {
    if (tries > 5_000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many of this process's descriptors are open on `path`, deleted or not (Linux: /proc/self/fd). */
function descriptorsOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target === path || target === `${path} (deleted)`;
    } catch {
      return false;
    }
  }).length;
}

const linux = process.platform === 'linux';

describe('the background flush of the write-ahead log', () => {
  const databases: DatabaseSync[] = [];
  afterEach(() => {
    for (const database of databases.splice(0)) database.close();
  });

  /** A database in WAL mode with one commit in its log. */
  function walDatabase() {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'wal-presync-')));
    const path = join(dir, 'presync.db');
    const database = new DatabaseSync(path);
    databases.push(database);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    return { dir, path, walPath: `${path}-wal`, database };
  }

  it('flushes after a commit, and flushes the commits made meanwhile once, when the interval is over', async () => {
    const { walPath } = walDatabase();
    const presync = createWalPresync(walPath, { intervalMs: 30 });
    presync.committed();
    // One runs: these wait for it and for the interval, then go in one flush.
    presync.committed();
    presync.committed();
    await until(() => presync.syncs === 2);
    await pause(80);
    expect(presync.syncs).toBe(2);
    presync.close();
  });

  it('reports a log it cannot open once (a reporter that throws stops nothing), and flushes once there is one', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'wal-presync-')));
    const walPath = join(dir, 'none.db-wal');
    const errors: string[] = [];
    let clock = 0;
    const presync = createWalPresync(walPath, {
      now: () => clock,
      onError: (_error, message) => {
        errors.push(message);
        // A reporter that throws stops nothing.
        throw new Error('the reporter fails too');
      },
    });
    presync.committed();
    clock = 100;
    presync.committed();
    expect(existsSync(walPath)).toBe(false);
    expect(errors).toEqual(['could not open the SQLite write-ahead log to flush it']);
    expect(presync.syncs).toBe(0);
    const database = new DatabaseSync(join(dir, 'none.db'));
    databases.push(database);
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('CREATE TABLE t (k TEXT)');
    clock = 200;
    presync.committed();
    await until(() => presync.syncs === 1);
    presync.close();
  });

  it.runIf(linux)('closed while a flush runs, lets it finish, starts no other and closes its descriptor', async () => {
    const { walPath, database } = walDatabase();
    // SQLite's own descriptor on its log.
    const sqlites = descriptorsOn(walPath);
    const presync = createWalPresync(walPath, { intervalMs: 1 });
    presync.committed();
    presync.committed();
    expect(descriptorsOn(walPath)).toBe(sqlites + 1);
    presync.close();
    await until(() => presync.syncs === 1);
    database.exec("INSERT INTO t (k) VALUES ('a')");
    presync.committed();
    await pause(20);
    expect(presync.syncs).toBe(1);
    await until(() => descriptorsOn(walPath) === sqlites);
  });

  it.runIf(linux)(
    'closed when idle or while it waits for the interval, closes its descriptor and flushes no more',
    async () => {
      const { walPath } = walDatabase();
      const sqlites = descriptorsOn(walPath);
      const idle = createWalPresync(walPath);
      idle.committed();
      await until(() => idle.syncs === 1);
      expect(descriptorsOn(walPath)).toBe(sqlites + 1);
      idle.close();
      // Closed on the thread pool (fs.close): soon, not at once.
      await until(() => descriptorsOn(walPath) === sqlites);

      const waiting = createWalPresync(walPath, { intervalMs: 60_000 });
      waiting.committed();
      await until(() => waiting.syncs === 1);
      // Within the interval: this one waits on a timer, which close() clears.
      waiting.committed();
      waiting.close();
      await pause(20);
      expect(waiting.syncs).toBe(1);
      await until(() => descriptorsOn(walPath) === sqlites);
    },
  );

  it.runIf(linux)('runs for a file database with NORMAL, beside the file SQLite names, and not with FULL', async () => {
    const { dir } = walDatabase();
    // A symlink to the database: SQLite keeps the log beside the file it points to.
    const real = join(dir, 'real.db');
    const link = join(dir, 'link.db');
    symlinkSync(real, link);
    // Each connection holds one descriptor on its log; the flush holds a second.
    const normal = openSqlite({ path: link, synchronous: 'NORMAL' });
    await normal.transaction((client) => client.run('CREATE TABLE t (k TEXT)'));
    await until(() => descriptorsOn(`${real}-wal`) === 2);
    await normal.close();
    await until(() => descriptorsOn(`${real}-wal`) === 0);

    const fullPath = join(dir, 'full.db');
    const full = openSqlite({ path: fullPath, synchronous: 'FULL' });
    await full.transaction((client) => client.run('CREATE TABLE t (k TEXT)'));
    await pause(20);
    expect(descriptorsOn(`${fullPath}-wal`)).toBe(1);
    await full.close();
  });
});

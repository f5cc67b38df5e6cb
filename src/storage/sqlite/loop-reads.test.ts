import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../sql-database.ts';
import { createLoopReads, onlyReads } from './loop-reads.ts';
import { openSqlite } from './open-sqlite.ts';

const nextLoopTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the reads of one event-loop turn', () => {
  const opened: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const connection of opened.splice(0)) await connection.close();
  });

  /** The server's connection, with table t, and a second connection to the same file (another process, say). */
  async function twoConnections() {
    const path = join(mkdtempSync(join(tmpdir(), 'loop-reads-')), 'reads.db');
    const database = openSqlite({ path, synchronous: 'NORMAL' });
    await database.transaction((client) => client.run('CREATE TABLE t (k TEXT PRIMARY KEY)'));
    const other = new DatabaseSync(path);
    opened.push(database, other);
    /** What the other connection reads now. */
    const seenByOther = () =>
      other
        .prepare('SELECT k FROM t ORDER BY k')
        .all()
        .map((row) => row.k);
    return { database, other, seenByOther };
  }
  const keys = (database: SqlDatabase) =>
    database.all('SELECT k FROM t ORDER BY k').then((rows) => rows.map((row) => row.k));

  it('share one snapshot, which ends with the loop turn', async () => {
    const { database, other } = await twoConnections();
    expect(await keys(database)).toEqual([]);
    other.exec("INSERT INTO t (k) VALUES ('a')");
    // Still the loop turn of the first read: its snapshot.
    expect(await keys(database)).toEqual([]);
    await nextLoopTurn();
    expect(await keys(database)).toEqual(['a']);
  });

  it('never hold a write: a group commit and an autocommit statement are durable when they return', async () => {
    const { database, other, seenByOther } = await twoConnections();
    expect(await keys(database)).toEqual([]);
    await database.run("INSERT INTO t (k) VALUES ('autocommit')");
    expect(seenByOther()).toEqual(['autocommit']);
    expect(await keys(database)).toEqual(['autocommit']);
    await database.transaction((client) => client.run("INSERT INTO t (k) VALUES ('batch')"));
    expect(seenByOther()).toEqual(['autocommit', 'batch']);
    // Another process can write while this one reads, and this process writes after it.
    expect(await keys(database)).toEqual(['autocommit', 'batch']);
    other.exec("INSERT INTO t (k) VALUES ('other')");
    await database.transaction((client) => client.run("INSERT INTO t (k) VALUES ('then')"));
    expect(await keys(database)).toEqual(['autocommit', 'batch', 'other', 'then']);
  });

  it('never open inside a write batch, even after SQLite rolled the batch back on its own', async () => {
    const { database, seenByOther } = await twoConnections();
    await database.run("INSERT INTO t (k) VALUES ('dup')");
    // OR ROLLBACK ends the whole transaction, as SQLITE_FULL may; the work catches it and reads on.
    const rolledBack = async (client: Parameters<Parameters<SqlDatabase['transaction']>[0]>[0]) => {
      await client.run("INSERT INTO t (k) VALUES ('lost')");
      await client.run("INSERT OR ROLLBACK INTO t (k) VALUES ('dup')").catch(() => {});
      await client.get('SELECT count(*) AS n FROM t');
    };
    // Alone: its COMMIT finds no transaction, so it is refused rather than acknowledged.
    await expect(database.transaction(rolledBack)).rejects.toThrow(/no transaction/);
    // With another in its batch: the second pass (savepoints) loses its savepoint the same way and
    // fails as a whole; no read commits it halfway, so nothing of it is on disk.
    const failing = database.transaction(async (client) => {
      await rolledBack(client);
      throw new Error('fails');
    });
    const next = database.transaction((client) => client.run("INSERT INTO t (k) VALUES ('next')"));
    await expect(failing).rejects.toThrow();
    await expect(next).rejects.toThrow(/no such savepoint/);
    expect(seenByOther()).toEqual(['dup']);
  });

  it('open a deferred transaction for a SELECT only, and end it before anything else', async () => {
    const database = new DatabaseSync(':memory:');
    opened.push(database);
    const reads = createLoopReads(database);
    reads.beforeRead();
    expect(database.isTransaction).toBe(true);
    reads.end();
    expect(database.isTransaction).toBe(false);
    reads.beforeRead();
    await nextLoopTurn();
    expect(database.isTransaction).toBe(false);
    // Inside a write transaction a read opens nothing, and ending reads leaves the write alone.
    database.exec('BEGIN IMMEDIATE');
    reads.beforeRead();
    reads.end();
    expect(database.isTransaction).toBe(true);
    database.exec('COMMIT');
    expect(['SELECT 1', '  select k FROM t'].map(onlyReads)).toEqual([true, true]);
    expect(
      ['INSERT INTO t SELECT 1', 'WITH x AS (SELECT 1) DELETE FROM t', 'PRAGMA user_version'].map(onlyReads),
    ).toEqual([false, false, false]);
  });
});

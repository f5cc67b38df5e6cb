import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite, withOpaqueLimits } from './open-sqlite.ts';

describe('openSqlite', () => {
  it('binds LIMIT behind a CAST, so a statement is not compiled again on every call', () => {
    expect(withOpaqueLimits('SELECT a FROM t WHERE b = ? ORDER BY a LIMIT ?')).toBe(
      'SELECT a FROM t WHERE b = ? ORDER BY a LIMIT CAST(? AS INTEGER)',
    );
    expect(withOpaqueLimits('SELECT a FROM t LIMIT 5')).toBe('SELECT a FROM t LIMIT 5');
    expect(withOpaqueLimits('SELECT x FROM (SELECT a AS x FROM t LIMIT ?) LIMIT ?')).toBe(
      'SELECT x FROM (SELECT a AS x FROM t LIMIT CAST(? AS INTEGER)) LIMIT CAST(? AS INTEGER)',
    );
  });

  it('a bound LIMIT still limits: the same rows, whatever the value, and -1 for none', async () => {
    const database = openSqlite({
      path: join(mkdtempSync(join(tmpdir(), 'sqlite-')), 'limit.db'),
      synchronous: 'NORMAL',
    });
    try {
      await database.transaction(async (client) => {
        await client.run('CREATE TABLE t (a INTEGER PRIMARY KEY)');
        for (let a = 1; a <= 10; a++) await client.run('INSERT INTO t (a) VALUES (?)', [a]);
      });
      const page = (limit: number) => database.all('SELECT a FROM t WHERE a > ? ORDER BY a DESC LIMIT ?', [2, limit]);
      expect((await page(3)).map((row) => row.a)).toEqual([10, 9, 8]);
      expect((await page(1)).map((row) => row.a)).toEqual([10]);
      expect(await page(-1)).toHaveLength(8);
      expect(await page(0)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('keeps the statement journal in memory and checkpoints at 4,000 pages, and a large failed transaction still rolls back alone', async () => {
    const database = openSqlite({
      path: join(mkdtempSync(join(tmpdir(), 'sqlite-')), 'journal.db'),
      synchronous: 'NORMAL',
    });
    try {
      expect(await database.get('PRAGMA temp_store')).toEqual({ temp_store: 2 });
      expect(await database.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 4_000 });
      await database.transaction((client) => client.run('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)'));
      const row = 'x'.repeat(2_000);
      // Two transactions in one group commit: the first changes far more than 64 KiB of pages, then fails.
      const failing = database.transaction(async (client) => {
        for (let k = 0; k < 200; k++) await client.run('INSERT INTO t (k, v) VALUES (?, ?)', [`a${k}`, row]);
        throw new Error('boom');
      });
      const committed = database.transaction((client) => client.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', row]));
      await expect(failing).rejects.toThrow('boom');
      await committed;
      expect(await database.all('SELECT k FROM t')).toEqual([{ k: 'b' }]);
    } finally {
      await database.close();
    }
  });
});

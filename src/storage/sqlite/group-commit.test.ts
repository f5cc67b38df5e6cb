import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../sql-database.ts';
import { createGroupCommit } from './group-commit.ts';

function setup() {
  const database = new DatabaseSync(':memory:');
  database.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  let commits = 0;
  const exec = database.exec.bind(database);
  database.exec = (sql: string) => {
    if (sql === 'COMMIT') commits++;
    exec(sql);
  };
  const client: SqlClient = {
    all: async (sql, params = []) => database.prepare(sql).all(...params) as never,
    get: async (sql, params = []) => database.prepare(sql).get(...params) as never,
    run: async (sql, params = []) => ({ changes: Number(database.prepare(sql).run(...params).changes) }),
  };
  return { database, client, transaction: createGroupCommit(database, client), commits: () => commits };
}

describe('group commit', () => {
  it('runs concurrent transactions in one COMMIT and resolves each with its own result', async () => {
    const { transaction, commits, database } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        transaction(async (client) => {
          await client.run('INSERT INTO t (id, v) VALUES (?, ?)', [index, `v${index}`]);
          return index * 2;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index * 2));
    expect(commits()).toBe(1);
    expect(database.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 20 });
  });

  it('rolls back a failing transaction alone', async () => {
    const { transaction, database } = setup();
    const outcomes = await Promise.allSettled([
      transaction((client) => client.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a'])),
      transaction(async (client) => {
        await client.run('INSERT INTO t (id, v) VALUES (2, ?)', ['b']);
        throw new Error('fail after a write');
      }),
      transaction((client) => client.run('INSERT INTO t (id, v) VALUES (3, ?)', ['c'])),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(database.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('settles nothing before the COMMIT, and rejects the whole batch if COMMIT fails', async () => {
    const { transaction, database } = setup();
    const exec = database.exec.bind(database);
    database.exec = (sql: string) => {
      if (sql === 'COMMIT') throw new Error('disk I/O error');
      exec(sql);
    };
    const outcomes = await Promise.allSettled([
      transaction((client) => client.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a'])),
      transaction((client) => client.run('INSERT INTO t (id, v) VALUES (2, ?)', ['b'])),
    ]);
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(database.isTransaction).toBe(false);
    expect(database.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });

  it('keeps later transactions flowing after a batch', async () => {
    const { transaction, commits } = setup();
    await transaction((client) => client.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a']));
    await transaction((client) => client.run('INSERT INTO t (id, v) VALUES (2, ?)', ['b']));
    expect(commits()).toBe(2);
  });
});

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

  it('runs a batch without savepoints, and again in savepoints only when a transaction fails', async () => {
    const { transaction, database } = setup();
    let runs = 0;
    const counted = (id: number) =>
      transaction(async (client) => {
        runs++;
        await client.run('INSERT INTO t (id, v) VALUES (?, ?)', [id, 'x']);
        return id;
      });
    const clean = await Promise.all([counted(1), counted(2), counted(3)]);
    expect(clean).toEqual([1, 2, 3]);
    // Each ran once: no failure, no second pass.
    expect(runs).toBe(3);

    runs = 0;
    const outcomes = await Promise.allSettled([
      counted(4),
      transaction(async (client) => {
        await client.run('INSERT INTO t (id, v) VALUES (5, ?)', ['y']);
        throw new Error('fail after a write');
      }),
      counted(6),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The first pass ran 4 and stopped at the failure; the second ran 4 and 6 in savepoints.
    expect(runs).toBe(3);
    expect(database.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([1, 2, 3, 4, 6].map((id) => ({ id })));
  });

  it('rolls back a failing transaction that is alone in its batch without running it again', async () => {
    const { transaction, database, commits } = setup();
    let runs = 0;
    await expect(
      transaction(async (client) => {
        runs++;
        await client.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a']);
        throw new Error('fail after a write');
      }),
    ).rejects.toThrow('fail after a write');
    expect(runs).toBe(1);
    expect(commits()).toBe(0);
    expect(database.isTransaction).toBe(false);
    expect(database.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
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

  it('calls afterCommit once per committed batch, before its callers settle, and not when the batch ran no COMMIT', async () => {
    const { database, client } = setup();
    const events: string[] = [];
    const transaction = createGroupCommit(database, client, {
      afterCommit: () => {
        events.push('after commit');
        throw new Error('a failing hook must not keep the callers from settling');
      },
    });
    const write = (id: number) =>
      transaction((c) => c.run('INSERT INTO t (id, v) VALUES (?, ?)', [id, 'x'])).then(() =>
        events.push(`settled ${id}`),
      );
    await Promise.all([write(1), write(2)]);
    expect(events).toEqual(['after commit', 'settled 1', 'settled 2']);
    // A batch of one failing transaction is rolled back: nothing was committed.
    await expect(transaction(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(events.filter((event) => event === 'after commit')).toHaveLength(1);
  });
});

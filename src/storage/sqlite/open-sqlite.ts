import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqlClient, SqlDatabase, SqlRow, SqlValue } from '../sql-database.ts';

export interface SqliteOptions {
  /** A file path, or `:memory:`. Parent folders are created. */
  path: string;
  /** `NORMAL` (default) survives process crashes in WAL mode; `FULL` also survives power loss. */
  synchronous: 'NORMAL' | 'FULL';
}

/**
 * Opens a node:sqlite database in WAL mode. Statements are prepared once and cached by SQL
 * text. node:sqlite is synchronous, so transactions are serialised by a small async lock:
 * two turns can never interleave statements inside one `BEGIN … COMMIT`.
 */
export function openSqlite(options: SqliteOptions): SqlDatabase {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const database = new DatabaseSync(options.path, { enableForeignKeyConstraints: true });
  database.exec('PRAGMA journal_mode = WAL');
  database.exec(`PRAGMA synchronous = ${options.synchronous}`);
  database.exec('PRAGMA busy_timeout = 5000');

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const client: SqlClient = {
    async all<Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as Row[];
    },
    async get<Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).get(...params) as Row | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return { changes: Number(prepare(sql).run(...params).changes) };
    },
  };

  let locked = false;
  const waiters: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (!locked) {
      locked = true;
      return;
    }
    await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const release = (): void => {
    const next = waiters.shift();
    if (next) next();
    else locked = false;
  };

  return {
    dialect: 'sqlite',
    ...client,
    async transaction(work) {
      await acquire();
      try {
        database.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(client);
          database.exec('COMMIT');
          return result;
        } catch (error) {
          if (database.isTransaction) database.exec('ROLLBACK');
          throw error;
        }
      } finally {
        release();
      }
    },
    async close() {
      if (!database.isOpen) return;
      statements.clear();
      database.close();
    },
  };
}

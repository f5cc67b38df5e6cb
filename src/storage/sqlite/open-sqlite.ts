import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { SqlClient, SqlDatabase, SqlRow, SqlValue } from '../sql-database.ts';
import { createGroupCommit } from './group-commit.ts';
import { createLoopReads, onlyReads } from './loop-reads.ts';
import { createWalPresync } from './wal-presync.ts';

export interface SqliteOptions {
  /** A file path, or `:memory:`. Parent folders are created. */
  path: string;
  /** `NORMAL` (default) survives process crashes in WAL mode; `FULL` also survives power loss. */
  synchronous: 'NORMAL' | 'FULL';
  /** Where a failure of background work (the log's flush, wal-presync.ts) is reported; a process warning by default. */
  onBackgroundError?: (error: Error, message: string) => void;
}

/**
 * Opens a node:sqlite database in WAL mode. Statements are prepared once and cached by SQL
 * text. Transactions go through group commit (group-commit.ts): they run one at a time, so two
 * turns never interleave statements, and concurrent ones share one COMMIT. The SELECTs run outside
 * them share one read transaction per turn of the event loop (loop-reads.ts).
 */
export function openSqlite(options: SqliteOptions): SqlDatabase {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const database = new DatabaseSync(options.path, { enableForeignKeyConstraints: true });
  database.exec('PRAGMA journal_mode = WAL');
  database.exec(`PRAGMA synchronous = ${options.synchronous}`);
  database.exec('PRAGMA busy_timeout = 5000');
  // Group commit runs a transaction in a savepoint when its batch had a failure, and SQLite keeps
  // the original of every page a savepoint (or a multi-row statement) changes in a statement journal. Past 64 KiB (16 pages of 4 KiB: one fresh-tenant
  // turn touches about that many) that journal spills to a temporary file, which cost 18 write
  // calls per turn and more than half of a turn's storage CPU. In memory it costs neither; the
  // journal only lives until the savepoint is released. See docs/operations.md.
  database.exec('PRAGMA temp_store = MEMORY');
  // SQLite copies the WAL back into the database file inside the COMMIT that takes it past this
  // many pages, on the event loop. At the default 1,000 that was about every 60 fresh-tenant turns,
  // each time with two fsyncs; at 4,000 a page written often is copied once instead of four times,
  // and the stalls come a quarter as often (the WAL grows to about 16 MiB). See docs/operations.md.
  database.exec('PRAGMA wal_autocheckpoint = 4000');

  const reads = createLoopReads(database);
  const statements = new Map<string, { statement: StatementSync; reads: boolean }>();
  const prepare = (sql: string): StatementSync => {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = { statement: database.prepare(withOpaqueLimits(sql)), reads: onlyReads(sql) };
      statements.set(sql, prepared);
    }
    if (prepared.reads) reads.beforeRead();
    else reads.end();
    return prepared.statement;
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

  // A file's log is flushed in the background as it grows, so the checkpoint's fsync finds little
  // left (wal-presync.ts). With FULL every COMMIT fsyncs the log itself. Linux only: measured there,
  // and elsewhere a read-only descriptor may not be flushable (Windows). SQLite names the file (a
  // symlink resolved, a `file:` URI parsed) and puts its log beside it.
  const file = database.location();
  const presync =
    file && options.synchronous === 'NORMAL' && process.platform === 'linux'
      ? createWalPresync(`${file}-wal`, { onError: options.onBackgroundError ?? warnOfBackgroundError })
      : null;
  const transaction = createGroupCommit(database, client, {
    reads,
    ...(presync ? { afterCommit: () => presync.committed() } : {}),
  });

  // One process and no row-level security: a tenant scope is the database itself.
  const scope = { ...client, transaction, read: <T>(work: (reader: SqlClient) => Promise<T>) => work(client) };
  return {
    dialect: 'sqlite',
    ...scope,
    forTenant: () => scope,
    poolStats: () => null,
    async close() {
      if (!database.isOpen) return;
      reads.end();
      statements.clear();
      presync?.close();
      database.close();
    },
  };
}

/** A failure of background work where no logger is at hand (the CLI, a server before its logger): a process warning. */
export function warnOfBackgroundError(error: Error, message: string): void {
  process.emitWarning(`${message}: ${error.message}`, 'EnclaveStorageWarning');
}

/**
 * `LIMIT ?` as `LIMIT CAST(? AS INTEGER)`. SQLite's planner reads a bound LIMIT's value, so each
 * time it is bound again (node:sqlite binds every parameter on every call) the statement is
 * compiled again before it runs: 39 µs instead of 4 µs for the context window query here. Behind a
 * CAST the value is opaque to the planner and the compiled statement is reused; the rows are the same.
 */
export function withOpaqueLimits(sql: string): string {
  return sql.replace(/\bLIMIT \?/g, 'LIMIT CAST(? AS INTEGER)');
}

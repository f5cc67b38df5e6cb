import type { DatabaseSync } from 'node:sqlite';

/**
 * The reads of one turn of the event loop, in one read transaction. A SELECT outside a transaction
 * is a transaction of its own, and in WAL mode each takes and drops a lock on the shared-memory
 * index with two `fcntl` calls: about 4 µs of a 4.3 µs primary-key read on the reference machine,
 * where a read inside a transaction costs 0.2 µs. A turn reads the tenant, the session's agent and
 * its context with a few such statements, and a busy loop turn runs many turns' reads. So the first
 * SELECT outside a write transaction opens a deferred transaction, and it ends when the loop turn
 * does (`setImmediate`), or sooner, before anything that is not a SELECT runs on the connection (an
 * autocommit write) and before a write batch begins, which opens none while it runs (`pause`): a
 * write is never held in it, so it is durable when its call returns, as before.
 * docs/operations.md has the measurements.
 *
 * What a read can see does not change within the process: every write of this process commits
 * after the read transaction ends, and the next read starts a new one. A write by another process
 * (the CLI) becomes visible at the next loop turn instead of at the next statement.
 */
export function createLoopReads(database: DatabaseSync) {
  const begin = database.prepare('BEGIN');
  const commit = database.prepare('COMMIT');
  let open = false;
  // While a write batch runs, a SELECT must not open a transaction even when none is open: SQLite
  // may have rolled the batch's back on its own (SQLITE_FULL, an OR ROLLBACK conflict), and a read
  // transaction opened then would let the batch's COMMIT succeed with nothing written.
  let paused = false;

  const end = (): void => {
    if (!open) return;
    open = false;
    if (!database.isTransaction) return;
    try {
      commit.run();
    } catch {
      // A read transaction has nothing to lose: end it however it can (this runs in setImmediate).
      if (database.isTransaction) database.exec('ROLLBACK');
    }
  };

  return {
    /** Before a SELECT: opens this loop turn's read transaction, unless one (or a write transaction) is open. */
    beforeRead(): void {
      if (open || paused || database.isTransaction) return;
      begin.run();
      open = true;
      setImmediate(end);
    },
    /** Before any other statement: ends the read transaction, if one is open. */
    end,
    /** Before a write batch: ends the read transaction, and opens none until `resume`. */
    pause(): void {
      end();
      paused = true;
    },
    /** After a write batch, however it ended. */
    resume(): void {
      paused = false;
    },
  };
}

/** A statement that only reads, so it may run in the loop turn's read transaction. */
export const onlyReads = (sql: string): boolean => /^\s*SELECT\b/i.test(sql);

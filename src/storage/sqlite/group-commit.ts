import type { DatabaseSync } from 'node:sqlite';
import type { SqlClient } from '../sql-database.ts';

interface Pending {
  work: (client: SqlClient) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: boolean; value: unknown };

/**
 * Group commit for a synchronous SQLite connection. Transactions requested during one turn of the
 * event loop run one after another inside a single `BEGIN IMMEDIATE … COMMIT`, so two turns never
 * interleave statements, and every caller's promise settles only after the shared COMMIT, so nothing
 * is acknowledged before it is durable. One commit per batch instead of one per transaction is what
 * lets many concurrent turns share the cost of writing the WAL.
 *
 * A failing transaction rolls back alone. The batch first runs optimistically, with no savepoints:
 * a savepoint makes SQLite copy every page the transaction first touches into a statement journal,
 * which was about a sixth of a legacy turn's storage CPU (docs/operations.md). When a transaction
 * throws, that pass is rolled back and the batch runs again with a savepoint around each
 * transaction, as before; so a batch with a failure costs at most twice its work, never more.
 *
 * Contract for `work`: it must only await the client it is given (node:sqlite answers
 * synchronously); awaiting other I/O would hold the write lock for every transaction in the batch.
 * It may run twice (the second time after the first was rolled back), so it changes nothing but the
 * database and its own locals.
 */
export function createGroupCommit(
  database: DatabaseSync,
  client: SqlClient,
  hooks: {
    /** The connection's loop-turn reads (loop-reads.ts): none is open while a batch runs. */
    reads?: { pause(): void; resume(): void };
    /** Called after each batch's COMMIT, before its callers settle (wal-presync.ts flushes the log then). */
    afterCommit?: () => void;
  } = {},
) {
  const { reads = { pause() {}, resume() {} }, afterCommit = () => {} } = hooks;
  // Prepared once: exec() would parse these statements again for every transaction.
  const savepoint = database.prepare('SAVEPOINT work');
  const release = database.prepare('RELEASE work');
  const rollbackTo = database.prepare('ROLLBACK TO work');
  let queue: Pending[] = [];
  let scheduled = false;
  let running = false;

  const schedule = () => {
    if (scheduled || running || queue.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };

  /** Runs the batch without savepoints, stopping at the first transaction that throws. */
  async function runOptimistically(batch: Pending[]): Promise<Outcome[] | { failed: unknown }> {
    const outcomes: Outcome[] = [];
    for (const pending of batch) {
      try {
        outcomes.push({ ok: true, value: await pending.work(client) });
      } catch (error) {
        return { failed: error };
      }
    }
    return outcomes;
  }

  async function runInSavepoints(batch: Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const pending of batch) {
      savepoint.run();
      try {
        const value = await pending.work(client);
        release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        rollbackTo.run();
        release.run();
        outcomes.push({ ok: false, value: error });
      }
    }
    return outcomes;
  }

  async function flush(): Promise<void> {
    scheduled = false;
    running = true;
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    let committed = false;
    try {
      reads.pause();
      database.exec('BEGIN IMMEDIATE');
      const optimistic = await runOptimistically(batch);
      if (Array.isArray(optimistic)) {
        outcomes = optimistic;
        database.exec('COMMIT');
        committed = true;
      } else {
        if (database.isTransaction) database.exec('ROLLBACK');
        if (batch.length === 1) {
          // A batch of one needs no second pass: the rollback rolled back it alone.
          outcomes = [{ ok: false, value: optimistic.failed }];
        } else {
          database.exec('BEGIN IMMEDIATE');
          outcomes = await runInSavepoints(batch);
          database.exec('COMMIT');
          committed = true;
        }
      }
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error): nothing in the batch is durable.
      if (database.isTransaction) database.exec('ROLLBACK');
      for (const pending of batch) pending.reject(error);
      return;
    } finally {
      reads.resume();
      running = false;
      schedule();
    }
    if (committed) {
      try {
        afterCommit();
      } catch {
        // Best effort (a background flush): it must never keep the batch's callers from settling.
      }
    }
    for (const [index, pending] of batch.entries()) {
      const outcome = outcomes[index];
      if (outcome?.ok) pending.resolve(outcome.value);
      else pending.reject(outcome?.value);
    }
  }

  return function transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
  };
}

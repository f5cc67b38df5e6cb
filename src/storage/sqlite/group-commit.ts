import type { DatabaseSync } from 'node:sqlite';
import type { SqlClient } from '../sql-database.ts';

interface Pending {
  work: (client: SqlClient) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for a synchronous SQLite connection. Transactions requested during one turn of the
 * event loop run one after another inside a single `BEGIN IMMEDIATE … COMMIT`, each in its own
 * savepoint, so a failing one rolls back alone. Every caller's promise settles only after the
 * shared COMMIT, so nothing is acknowledged before it is durable. One commit per batch instead of
 * one per transaction is what lets many concurrent turns share the cost of writing the WAL.
 *
 * Contract for `work`: it must only await the client it is given (node:sqlite answers
 * synchronously); awaiting other I/O would hold the write lock for every transaction in the batch.
 */
export function createGroupCommit(database: DatabaseSync, client: SqlClient) {
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

  async function flush(): Promise<void> {
    scheduled = false;
    running = true;
    const batch = queue;
    queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      database.exec('BEGIN IMMEDIATE');
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
      database.exec('COMMIT');
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error): nothing in the batch is durable.
      if (database.isTransaction) database.exec('ROLLBACK');
      for (const pending of batch) pending.reject(error);
      return;
    } finally {
      running = false;
      schedule();
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

import { Worker } from 'node:worker_threads';

/**
 * The checkpoint thread's source: a connection of its own to the same file, and a PASSIVE
 * checkpoint each time it is asked. PASSIVE takes no lock a writer or reader waits for, so the
 * main thread never waits on it. Inline (not a module file) so the bundled server needs no
 * second entry point.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const database = new DatabaseSync(workerData.path);
database.exec('PRAGMA synchronous = ' + workerData.synchronous);
database.exec('PRAGMA wal_autocheckpoint = 0');
const checkpoint = database.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    database.close();
    parentPort.close();
    return;
  }
  try {
    const row = checkpoint.get();
    parentPort.postMessage({ ok: true, log: Number(row.log), checkpointed: Number(row.checkpointed) });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message ? error.message : error) });
  }
});
`;

type Reply = { ok: true; log: number; checkpointed: number } | { ok: false; message: string };

export interface WalCheckpointerOptions {
  path: string;
  synchronous: 'NORMAL' | 'FULL';
  /** Commits before the thread is started: a short-lived process (a CLI command, a test) never starts it. */
  startAfterCommits?: number;
  /** The thread stops after this long without a commit, and starts again on the next one. */
  idleStopMs?: number;
  /** Called once if the thread fails; the caller falls back to checkpoints on its own connection. */
  onFailure: (error: Error) => void;
}

export interface WalCheckpointStats {
  /** Checkpoint passes completed since the database was opened. */
  passes: number;
  /** Whether the thread is running now. */
  running: boolean;
  /** WAL frames, and frames copied into the database, as of the last pass. */
  log: number;
  checkpointed: number;
}

export interface WalCheckpointer {
  /** Tells the checkpointer a transaction committed; cheap, and never waits. */
  committed(): void;
  stats(): WalCheckpointStats;
  /** Stops the thread and waits for it to close its connection. */
  close(): Promise<void>;
}

/**
 * Copies the WAL into the database file on a thread of its own. SQLite's automatic checkpoint runs
 * inside the COMMIT that crosses the threshold, on the committing connection: on the event loop,
 * where copying about 1,000 pages and two fsyncs stopped every request for several milliseconds,
 * dozens of times a second under load (docs/operations.md, "The WAL checkpoint"). Here each commit
 * asks for a pass unless one is running; a pass copies what was committed since the last one, so
 * passes stay short and usually catch up, which lets the next write start the WAL from the
 * beginning again. The connection that writes keeps a high automatic threshold as a backstop.
 */
export function createWalCheckpointer(options: WalCheckpointerOptions): WalCheckpointer {
  const startAfterCommits = options.startAfterCommits ?? 100;
  const idleStopMs = options.idleStopMs ?? 10_000;
  let worker: Worker | null = null;
  let commits = 0;
  let busy = false;
  let dirty = false;
  let failed = false;
  let closed = false;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;
  const stats = { passes: 0, log: 0, checkpointed: 0 };

  function fail(error: Error): void {
    if (failed) return;
    failed = true;
    busy = false;
    const current = worker;
    worker = null;
    void current?.terminate();
    options.onFailure(error);
  }

  function stop(): Promise<void> {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    const current = worker;
    worker = null;
    busy = false;
    if (!current) return Promise.resolve();
    return new Promise<void>((resolve) => {
      current.once('exit', () => resolve());
      // Held open until it has closed its connection, or a process with nothing else to do would
      // exit before this resolves.
      current.ref();
      current.postMessage('close');
    });
  }

  function start(): Worker {
    const created = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: options.path, synchronous: options.synchronous },
      // A small thread: it runs one prepared statement.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    created.unref();
    created.on('message', (reply: Reply) => {
      if (created !== worker) return;
      busy = false;
      if (!reply.ok) return fail(new Error(`WAL checkpoint failed: ${reply.message}`));
      stats.passes++;
      stats.log = reply.log;
      stats.checkpointed = reply.checkpointed;
      if (dirty) pass();
      else armIdleStop();
    });
    created.on('error', (error) => {
      if (created === worker) fail(new Error(`WAL checkpoint thread failed: ${error.message}`));
    });
    created.on('exit', (code) => {
      if (created === worker && !closed) fail(new Error(`WAL checkpoint thread exited (${code})`));
    });
    return created;
  }

  function armIdleStop(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void stop(), idleStopMs);
    idleTimer.unref();
  }

  function pass(): void {
    if (failed || closed) return;
    if (!worker) worker = start();
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    busy = true;
    dirty = false;
    worker.postMessage('checkpoint');
  }

  return {
    committed() {
      if (failed || closed) return;
      dirty = true;
      if (busy) return;
      if (!worker && ++commits < startAfterCommits) return;
      try {
        pass();
      } catch (error) {
        // The thread could not start (out of resources): the writing connection checkpoints again.
        fail(new Error(`WAL checkpoint thread could not start: ${(error as Error).message}`));
      }
    },
    stats: () => ({ ...stats, running: worker !== null }),
    async close() {
      closed = true;
      await stop();
    },
  };
}

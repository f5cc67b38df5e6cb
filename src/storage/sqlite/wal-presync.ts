import { closeSync, fsync, openSync } from 'node:fs';

/** The most often the write-ahead log is flushed in the background: at most once per this many ms. */
export const WAL_PRESYNC_INTERVAL_MS = 50;

/**
 * Flushes the write-ahead log to disk in the background, on libuv's thread pool, after commits.
 *
 * With `synchronous = NORMAL` a COMMIT only writes the WAL into the page cache. Nothing fsyncs it
 * until SQLite's automatic checkpoint, which runs inside the COMMIT that takes the log past its
 * threshold, on the event loop. That checkpoint then fsyncs the whole log at once (16 MiB at 4,000
 * pages), and then the database file. Under load this stalled the loop for about 28 ms on the
 * reference machine, some 20 ms of it in the log's fsync, and those stalls were the legacy p99.
 * Flushed here as it grows, the log has little left to write when the checkpoint fsyncs it.
 *
 * Correctness does not depend on it: an extra fsync only makes written data durable sooner. A
 * COMMIT that is only in the page cache is flushed within about `intervalMs` instead of at the next
 * checkpoint, so a power loss on a busy server loses less. An fsync error here is left to SQLite:
 * Linux reports a writeback error to every open file description, so SQLite's own fsync of the log
 * at the checkpoint fails too and the checkpoint does not go on.
 */
export function createWalPresync(walPath: string, options: { intervalMs?: number; now?: () => number } = {}) {
  const intervalMs = options.intervalMs ?? WAL_PRESYNC_INTERVAL_MS;
  const now = options.now ?? performance.now.bind(performance);
  let fd: number | null = null;
  let inFlight = false;
  let closed = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  let syncs = 0;

  const closeFile = (): void => {
    if (fd === null) return;
    closeSync(fd);
    fd = null;
  };

  return {
    /** After a COMMIT: starts a background fsync of the log unless one runs or one started within `intervalMs`. */
    committed(): void {
      if (closed || inFlight || now() - lastStart < intervalMs) return;
      if (fd === null) {
        try {
          // Read-only is enough for fsync, and can never write the log by mistake.
          fd = openSync(walPath, 'r');
        } catch {
          // No log file (yet): nothing to flush.
          return;
        }
      }
      inFlight = true;
      lastStart = now();
      fsync(fd, () => {
        inFlight = false;
        syncs += 1;
        // Closed meanwhile: the descriptor was kept open for this fsync, so that it could not be reused.
        if (closed) closeFile();
      });
    },
    /** Background fsyncs finished so far (tests). */
    get syncs(): number {
      return syncs;
    },
    close(): void {
      closed = true;
      if (!inFlight) closeFile();
    },
  };
}

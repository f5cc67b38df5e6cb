import { close, fdatasync, openSync } from 'node:fs';

/** The most often the write-ahead log is flushed in the background: at most once per this many ms. */
export const WAL_PRESYNC_INTERVAL_MS = 50;

/** A flush that keeps failing (a failing disk) is reported at most once per this many ms. */
const ERROR_REPORT_INTERVAL_MS = 60_000;

/**
 * Flushes the write-ahead log to disk in the background, on libuv's thread pool, after commits.
 *
 * With `synchronous = NORMAL` a COMMIT only writes the WAL into the page cache. Nothing fsyncs it
 * until SQLite's automatic checkpoint, which runs inside the COMMIT that takes the log past its
 * threshold, on the event loop. That checkpoint then fsyncs the whole log at once (16 MiB at 4,000
 * pages), and then the database file. Under load this stalled the loop for about 28 ms on the
 * reference machine (Linux, ext4), some 20 ms of it in the log's fsync, and those stalls were the
 * legacy p99. Flushed here as it grows, the log has little left to write when the checkpoint fsyncs it.
 *
 * One flush at a time, at most one per `intervalMs`; a commit made meanwhile is flushed once the
 * running flush ends and the interval has passed (an unref'd timer: it never keeps a process alive).
 * Correctness does not depend on it: an extra fsync only makes written data durable sooner, and
 * closing this descriptor releases no lock (SQLite holds none on the log file itself; never do this
 * with the database or `-shm` file). A failed flush is reported to `onError`: Linux reports a
 * writeback error once per open file description, and SQLite ignores the result of its automatic
 * checkpoint, so this may be the only place the error shows. A flush that keeps failing is
 * reported at most once a minute.
 */
export function createWalPresync(
  walPath: string,
  options: { intervalMs?: number; now?: () => number; onError?: (error: Error, message: string) => void } = {},
) {
  const intervalMs = options.intervalMs ?? WAL_PRESYNC_INTERVAL_MS;
  const now = options.now ?? performance.now.bind(performance);
  const onError = options.onError ?? (() => {});
  let fd: number | null = null;
  let inFlight = false;
  let dirty = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let lastStart = Number.NEGATIVE_INFINITY;
  let lastErrorReport = Number.NEGATIVE_INFINITY;
  let syncs = 0;

  const report = (error: Error, message: string): void => {
    if (now() - lastErrorReport < ERROR_REPORT_INTERVAL_MS) return;
    lastErrorReport = now();
    try {
      onError(error, message);
    } catch {
      // A reporter that throws must not stop the flushes (this runs in an fs callback).
    }
  };

  const closeFile = (): void => {
    if (fd === null) return;
    close(fd, () => {});
    fd = null;
  };

  const flushSoon = (): void => {
    if (closed || inFlight || timer || !dirty) return;
    const wait = lastStart + intervalMs - now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        flushSoon();
      }, wait);
      timer.unref();
      return;
    }
    lastStart = now();
    if (fd === null) {
      try {
        // Read-only is enough for fdatasync on Linux, and can never write the log by mistake.
        fd = openSync(walPath, 'r');
      } catch (error) {
        // Reported at most once a minute; the next commit tries again, no sooner than the interval.
        report(error as Error, 'could not open the SQLite write-ahead log to flush it');
        return;
      }
    }
    dirty = false;
    inFlight = true;
    fdatasync(fd, (error) => {
      inFlight = false;
      syncs += 1;
      if (error) report(error, 'flushing the SQLite write-ahead log to disk failed (reported at most once a minute)');
      // Closed meanwhile: the descriptor was kept open for this flush, so that it could not be reused.
      if (closed) closeFile();
      else flushSoon();
    });
  };

  return {
    /** After a COMMIT: flushes the log now, or once the running flush and the interval are over. */
    committed(): void {
      dirty = true;
      flushSoon();
    },
    /** Background flushes finished so far (tests). */
    get syncs(): number {
      return syncs;
    },
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (!inFlight) closeFile();
    },
  };
}

import { AppError } from '../core/errors.ts';
import type { SessionLease, SessionLock } from '../core/turns/session-lock.ts';

interface Waiter {
  resolve(lease: SessionLease): void;
}

/** SESSION_BUSY, with the Retry-After the error handler sends. */
export function sessionBusy(message = 'Another turn is running on this session'): AppError {
  return new AppError('SESSION_BUSY', message, { details: { headers: { 'retry-after': '1' } } });
}

/**
 * The session lock of a single process: per (tenant, session), the turn that holds it and a FIFO
 * queue of turns waiting, handed the lock one by one as each ends. A session's entry exists only
 * while a turn holds its lock, so idle sessions cost nothing.
 */
export function createMemorySessionLock(options: { waitMs: number }): SessionLock {
  const queues = new Map<string, Waiter[]>();
  const keyOf = (tenantId: string, sessionId: string) => JSON.stringify([tenantId, sessionId]);

  function leaseFor(key: string): SessionLease {
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        const waiters = queues.get(key);
        const next = waiters?.shift();
        if (next) next.resolve(leaseFor(key));
        else queues.delete(key);
      },
    };
  }

  return {
    async acquire(tenantId, sessionId, { mode, signal }) {
      signal?.throwIfAborted();
      const key = keyOf(tenantId, sessionId);
      const waiters = queues.get(key);
      if (!waiters) {
        queues.set(key, []);
        return leaseFor(key);
      }
      if (mode === 'reject') throw sessionBusy();
      return new Promise<SessionLease>((resolve, reject) => {
        const leave = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
        };
        const onAbort = () => {
          leave();
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          leave();
          reject(sessionBusy('Another turn ran on this session for longer than this one may wait'));
        }, options.waitMs);
        const waiter: Waiter = {
          resolve(lease) {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(lease);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
      });
    },
    async close() {
      // Waiting turns end with their requests (the server drains them); nothing is held here.
    },
  };
}

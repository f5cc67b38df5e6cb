/**
 * The counter store behind rate limits, token limits and quotas.
 *
 * One interface, two intended implementations: the in-memory one below (exact for a single
 * process) and a Redis one (exact across replicas). Every method takes `now` from the caller,
 * so tests drive the clock and all replicas agree on window boundaries as far as their clocks do.
 *
 * Two kinds of counters:
 * - fixed windows of `windowMs`, aligned to multiples of `windowMs` since the epoch
 *   (`increment` / `get`); used for tokens per minute;
 * - windows that end at a caller-computed instant (`incrementUntil` / `getUntil`); used for
 *   UTC calendar days and months, whose lengths vary. The caller names the period in the key
 *   (`…:day:2024-02-29`, `…:month:2024-02`), so each period has its own counter and a new period
 *   starts from zero even if an old counter has not been expired yet.
 *
 * Keys are opaque to the store; `keys.ts` documents the scheme the limiter uses.
 */
export interface CounterStore {
  /**
   * Atomically adds `amount` to the fixed window counter `key` (window length `windowMs`, aligned
   * to multiples of windowMs since epoch) and returns the new total and when the window resets (epoch ms).
   */
  increment(key: string, amount: number, windowMs: number, now: number): Promise<{ total: number; resetAt: number }>;
  /** Reads without changing. */
  get(key: string, windowMs: number, now: number): Promise<{ total: number; resetAt: number }>;
  /**
   * Atomically adds `amount` to counter `key`, whose window ends at `resetAt` (epoch ms, after
   * `now`). A counter found with another `resetAt`, or already past it, starts again from zero.
   * Redis: `INCRBY` plus `PEXPIREAT key resetAt` in one script.
   */
  incrementUntil(
    key: string,
    amount: number,
    resetAt: number,
    now: number,
  ): Promise<{ total: number; resetAt: number }>;
  /**
   * Reads a counter of `incrementUntil` without changing it. `exists` is false when there is no
   * such counter (never written, expired, or lost with a Redis restart): `total` is then 0.
   */
  getUntil(key: string, resetAt: number, now: number): Promise<{ total: number; resetAt: number; exists: boolean }>;
  /**
   * Adds `amount` to counter `key` of the window ending at `resetAt` only if it exists; a missing
   * counter stays missing (it is rebuilt from the usage ledger when next read). True when added.
   */
  addIfPresent(key: string, amount: number, resetAt: number, now: number): Promise<boolean>;
  /**
   * Creates counter `key` (window ending at `resetAt`) with `total` unless it exists, atomically,
   * and returns the total it holds afterwards: `total`, or the existing one when another caller
   * created it first.
   */
  setIfAbsent(key: string, total: number, resetAt: number, now: number): Promise<number>;
  /**
   * Deletes counter `key` of the window ending at `resetAt`, or, with `resetAt` null, the
   * concurrency slots of `key`. Deleting what does not exist does nothing.
   */
  remove(key: string, resetAt: number | null): Promise<void>;
  /**
   * Concurrency slots: acquire returns false when `limit` are held. Each holder expires `ttlMs`
   * after its last acquire, so a crashed holder frees its slot. Acquiring again with a token that
   * already holds a slot refreshes its expiry and returns true (a heartbeat).
   */
  acquire(key: string, limit: number, token: string, ttlMs: number, now: number): Promise<boolean>;
  /** Release must be idempotent per token: releasing a token that holds nothing does nothing. */
  release(key: string, token: string): Promise<void>;
  /** Stops timers and drops all state. */
  close(): Promise<void>;
}

/** The in-memory store, with hooks for tests and operations. */
export interface MemoryCounterStore extends CounterStore {
  /** Live entries: counters plus concurrency slot holders (expired ones count until swept). */
  size(): number;
  /** Removes every counter and slot holder that has expired at `now`; returns how many were removed. */
  sweep(now: number): number;
}

export interface MemoryCounterStoreOptions {
  /** How often an unref'd timer sweeps expired entries; null disables the timer. Default 60 s. */
  sweepIntervalMs?: number | null;
  /** Clock for the timer's sweeps (operations use the `now` they are given). Default `Date.now`. */
  now?: () => number;
}

interface Counter {
  total: number;
  resetAt: number;
}

/**
 * An exact store for one process. Memory stays bounded by the live windows: an expired counter
 * is replaced when touched, dropped when read, and swept by an unref'd timer; slot holders are
 * pruned on every acquire of their key and by the same sweep.
 */
export function createMemoryCounterStore(options: MemoryCounterStoreOptions = {}): MemoryCounterStore {
  const clock = options.now ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs === undefined ? 60_000 : options.sweepIntervalMs;
  const counters = new Map<string, Counter>();
  /** key → token → expiresAt */
  const slots = new Map<string, Map<string, number>>();
  let holderCount = 0;

  function add(key: string, amount: number, resetAt: number, now: number): { total: number; resetAt: number } {
    let counter = counters.get(key);
    if (counter === undefined || counter.resetAt !== resetAt || counter.resetAt <= now) {
      counter = { total: 0, resetAt };
      counters.set(key, counter);
    }
    counter.total += amount;
    return { total: counter.total, resetAt };
  }

  function read(key: string, resetAt: number, now: number): { total: number; resetAt: number; exists: boolean } {
    const counter = counters.get(key);
    if (counter === undefined) return { total: 0, resetAt, exists: false };
    if (counter.resetAt <= now) {
      counters.delete(key);
      return { total: 0, resetAt, exists: false };
    }
    const exists = counter.resetAt === resetAt;
    return { total: exists ? counter.total : 0, resetAt, exists };
  }

  function pruneHolders(key: string, holders: Map<string, number>, now: number): number {
    let removed = 0;
    for (const [token, expiresAt] of holders) {
      if (expiresAt <= now) {
        holders.delete(token);
        removed++;
      }
    }
    holderCount -= removed;
    if (holders.size === 0) slots.delete(key);
    return removed;
  }

  function sweep(now: number): number {
    let removed = 0;
    for (const [key, counter] of counters) {
      if (counter.resetAt <= now) {
        counters.delete(key);
        removed++;
      }
    }
    for (const [key, holders] of slots) removed += pruneHolders(key, holders, now);
    return removed;
  }

  let timer: NodeJS.Timeout | null = null;
  if (sweepIntervalMs !== null && sweepIntervalMs > 0) {
    timer = setInterval(() => sweep(clock()), sweepIntervalMs);
    timer.unref();
  }

  return {
    async increment(key, amount, windowMs, now) {
      assertAmount(amount);
      return add(key, amount, fixedWindowResetAt(windowMs, now), now);
    },
    async get(key, windowMs, now) {
      const { total, resetAt } = read(key, fixedWindowResetAt(windowMs, now), now);
      return { total, resetAt };
    },
    async incrementUntil(key, amount, resetAt, now) {
      assertAmount(amount);
      assertResetAt(resetAt, now);
      return add(key, amount, resetAt, now);
    },
    async getUntil(key, resetAt, now) {
      assertResetAt(resetAt, now);
      return read(key, resetAt, now);
    },
    async addIfPresent(key, amount, resetAt, now) {
      assertAmount(amount);
      assertResetAt(resetAt, now);
      if (!read(key, resetAt, now).exists) return false;
      add(key, amount, resetAt, now);
      return true;
    },
    async setIfAbsent(key, total, resetAt, now) {
      assertAmount(total);
      assertResetAt(resetAt, now);
      const existing = read(key, resetAt, now);
      if (existing.exists) return existing.total;
      counters.set(key, { total, resetAt });
      return total;
    },
    async remove(key, resetAt) {
      if (resetAt === null) {
        const holders = slots.get(key);
        if (holders === undefined) return;
        holderCount -= holders.size;
        slots.delete(key);
      } else if (counters.get(key)?.resetAt === resetAt) {
        counters.delete(key);
      }
    },
    async acquire(key, limit, token, ttlMs, now) {
      if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${ttlMs}`);
      const existing = slots.get(key);
      if (existing !== undefined) {
        pruneHolders(key, existing, now);
        if (existing.has(token)) {
          existing.set(token, now + ttlMs);
          return true;
        }
      }
      // Pruning drops the key when its last holder expired.
      let holders = slots.get(key);
      if ((holders?.size ?? 0) >= limit) return false;
      if (holders === undefined) {
        holders = new Map();
        slots.set(key, holders);
      }
      holders.set(token, now + ttlMs);
      holderCount++;
      return true;
    },
    async release(key, token) {
      const holders = slots.get(key);
      if (holders === undefined || !holders.delete(token)) return;
      holderCount--;
      if (holders.size === 0) slots.delete(key);
    },
    async close() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      counters.clear();
      slots.clear();
      holderCount = 0;
    },
    size() {
      return counters.size + holderCount;
    },
    sweep,
  };
}

/** The end of the fixed window containing `now`: the next multiple of `windowMs` since the epoch. */
export function fixedWindowResetAt(windowMs: number, now: number): number {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
  return (Math.floor(now / windowMs) + 1) * windowMs;
}

function assertAmount(amount: number): void {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be finite, got ${amount}`);
}

function assertResetAt(resetAt: number, now: number): void {
  if (!(resetAt > now)) throw new RangeError(`resetAt (${resetAt}) must be after now (${now})`);
}

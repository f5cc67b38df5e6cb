import { randomUUID } from 'node:crypto';
import { utcDay, utcMonth } from './calendar.ts';
import type { CounterStore } from './counter-store.ts';
import { keysFor, type LevelKeys, type LimitScope } from './keys.ts';
import { LimitExceededError } from './limit-exceeded-error.ts';
import { type LimitKind, type LimitLevel, policyFor } from './policy.ts';
import type { RateLimitInfo } from './rate-limit-headers.ts';

/** The limits of a tenant or of one API key; null means unlimited. */
export interface LimitSettings {
  requestsPerMinute: number | null;
  concurrentTurns: number | null;
  tokensPerMinute: number | null;
  /** Per UTC calendar day. */
  tokensPerDay: number | null;
  /** Per UTC calendar month. */
  tokensPerMonth: number | null;
}

export interface LimiterOptions {
  store: CounterStore;
  now?: () => number;
  /**
   * How long a turn holds its concurrency slot unless released first: the bound on how long a
   * crashed holder blocks a slot. Must exceed the longest turn. Default 15 minutes.
   */
  turnTtlMs?: number;
  /** The retry hint (`resetAt`, `Retry-After`) when all concurrency slots are held. Default 1 s. */
  concurrencyRetryAfterMs?: number;
  /**
   * The usage ledger, the source of truth for day and month quotas: tokens charged to the tenant
   * (`keyId` null) or to one of its API keys over the UTC days `from` to `to` (inclusive,
   * `YYYY-MM-DD`). With it, a day or month counter that is missing (a Redis restart, a new
   * process) is rebuilt from the ledger when a limit first reads it, and charging never creates
   * one. Without it, a missing counter starts from zero.
   */
  ledger?: UsageLedger;
}

/** Tokens charged to `scope` over the UTC days `from` to `to` (inclusive), from the usage ledger. */
export type UsageLedger = (scope: LimitScope, days: { from: string; to: string }) => Promise<number>;

export interface TurnAdmission {
  /** Frees the turn's concurrency slots. Idempotent. */
  release(): Promise<void>;
  /**
   * The token limit closest to exhaustion (smallest remaining share) at admission; null when none is
   * set. Not sent in response headers: they name the request quota only (docs/api.md, Conventions).
   */
  tightest: RateLimitInfo | null;
}

export interface Limiter {
  /**
   * Admits a turn: takes a concurrency slot of the tenant and of the key, then checks the tokens
   * already used this minute, UTC day and UTC month against the limits (reads only). Throws
   * `LimitExceededError` after releasing whatever it took. Key limits apply only when both
   * `scope.keyId` and `settings.key` are non-null.
   *
   * Token limits are checked before the turn and charged after it (`recordTokens`), so a turn
   * admitted under a limit may end above it; the next turn is then refused.
   */
  admitTurn(
    scope: LimitScope,
    settings: { tenant: LimitSettings; key: LimitSettings | null; agent?: LimitSettings | null },
  ): Promise<TurnAdmission>;
  /**
   * Adds `tokens` to the minute, day and month counters of the tenant and, if any, of the key and
   * the agent. With a ledger, day and month counters that do not exist are left missing, to be rebuilt.
   * Given the turn's `settings`, a level's minute counter is written only when that level has a
   * tokens-per-minute limit: a tenant without one costs no counter (one per tenant active in the
   * last minute or two otherwise, about 280 bytes each in memory, a key each in Redis). A limit set
   * later then starts from the turns after it, at most one minute's tokens short.
   */
  recordTokens(
    scope: LimitScope,
    tokens: number,
    settings?: { tenant: LimitSettings; key: LimitSettings | null; agent?: LimitSettings | null },
  ): Promise<void>;
}

const MINUTE_MS = 60_000;

interface TokenCheck {
  kind: Exclude<LimitKind, 'rate' | 'concurrency'>;
  level: LimitLevel;
  limit: number;
  read: Promise<{ total: number; resetAt: number }>;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { store } = options;
  const now = options.now ?? Date.now;
  const turnTtlMs = options.turnTtlMs ?? 15 * MINUTE_MS;
  const concurrencyRetryAfterMs = options.concurrencyRetryAfterMs ?? 1000;

  return {
    async admitTurn(scope, settings) {
      const at = now();
      const keys = keysFor(scope, at);
      const levels: { level: LimitLevel; keys: LevelKeys; limits: LimitSettings }[] = [
        { level: 'tenant', keys: keys.tenant, limits: settings.tenant },
      ];
      if (keys.key !== null && settings.key !== null)
        levels.push({ level: 'key', keys: keys.key, limits: settings.key });
      if (keys.agent !== null && settings.agent)
        levels.push({ level: 'agent', keys: keys.agent, limits: settings.agent });

      const token = randomUUID();
      const held: string[] = [];
      const releaseHeld = () => Promise.allSettled(held.map((key) => store.release(key, token)));

      let tightest: RateLimitInfo | null;
      try {
        for (const { level, keys: levelKeys, limits } of levels) {
          const limit = limits.concurrentTurns;
          if (limit === null) continue;
          if (!(await store.acquire(levelKeys.turns, limit, token, turnTtlMs, at))) {
            throw new LimitExceededError({
              kind: 'concurrency',
              level,
              limit,
              remaining: 0,
              resetAt: at + concurrencyRetryAfterMs,
              policy: policyFor('concurrency', level, limit, at),
              now: at,
            });
          }
          held.push(levelKeys.turns);
        }
        tightest = await checkTokens(store, levels, at, (key, level, period) =>
          readPeriod(key, { tenantId: scope.tenantId, keyId: level === 'key' ? scope.keyId : null }, period, at),
        );
      } catch (error) {
        await releaseHeld();
        throw error;
      }

      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          const results = await releaseHeld();
          const failure = results.find((result) => result.status === 'rejected');
          if (failure !== undefined) throw failure.reason;
        },
        tightest,
      };
    },

    async recordTokens(scope, tokens, settings) {
      if (!Number.isFinite(tokens) || tokens < 0)
        throw new RangeError(`tokens must be a non-negative number, got ${tokens}`);
      if (tokens === 0) return;
      const at = now();
      const keys = keysFor(scope, at);
      const day = utcDay(at).resetAt;
      const month = utcMonth(at).resetAt;
      // With a ledger, a missing counter stays missing: created with only this turn's tokens it
      // would forget what the ledger holds (a quota reset by a Redis restart).
      const addUntil = options.ledger
        ? (key: string, resetAt: number) => store.addIfPresent(key, tokens, resetAt, at)
        : (key: string, resetAt: number) => store.incrementUntil(key, tokens, resetAt, at);
      const levels = [
        { keys: keys.tenant, limits: settings?.tenant },
        { keys: keys.key, limits: settings?.key },
        { keys: keys.agent, limits: settings?.agent },
      ];
      const writes: Promise<unknown>[] = [];
      for (const { keys: level, limits } of levels) {
        if (level === null) continue;
        writes.push(addUntil(level.day, day), addUntil(level.month, month));
        if (settings === undefined || (limits?.tokensPerMinute ?? null) !== null)
          writes.push(store.increment(level.tpm, tokens, MINUTE_MS, at));
      }
      await Promise.all(writes);
    },
  };

  /**
   * A day or month counter, rebuilt from the ledger when it is missing. Turns that finish while it
   * is rebuilt may be counted twice or not at all (their charge and the ledger read race): the
   * error is bounded by the turns in flight at that instant, and only on a rebuild.
   */
  async function readPeriod(
    key: string,
    scope: LimitScope,
    period: { from: string; resetAt: number },
    at: number,
  ): Promise<{ total: number; resetAt: number }> {
    const read = await store.getUntil(key, period.resetAt, at);
    if (read.exists || !options.ledger) return read;
    const charged = await options.ledger(scope, { from: period.from, to: utcDay(at).period });
    return { total: await store.setIfAbsent(key, charged, period.resetAt, at), resetAt: period.resetAt };
  }
}

/**
 * Reads every token counter with a limit and throws for the violated one that resets last (retrying
 * earlier would fail again); otherwise returns the limit with the smallest remaining share.
 */
async function checkTokens(
  store: CounterStore,
  levels: readonly { level: LimitLevel; keys: LevelKeys; limits: LimitSettings }[],
  at: number,
  readPeriod: (
    key: string,
    level: LimitLevel,
    period: { from: string; resetAt: number },
  ) => Promise<{ total: number; resetAt: number }>,
): Promise<RateLimitInfo | null> {
  const today = utcDay(at);
  const day = { from: today.period, resetAt: today.resetAt };
  const month = { from: `${utcMonth(at).period}-01`, resetAt: utcMonth(at).resetAt };
  const checks: TokenCheck[] = [];
  for (const { level, keys, limits } of levels) {
    if (limits.tokensPerMinute !== null) {
      checks.push({
        kind: 'tokens-per-minute',
        level,
        limit: limits.tokensPerMinute,
        read: store.get(keys.tpm, MINUTE_MS, at),
      });
    }
    if (limits.tokensPerDay !== null) {
      checks.push({ kind: 'quota-day', level, limit: limits.tokensPerDay, read: readPeriod(keys.day, level, day) });
    }
    if (limits.tokensPerMonth !== null) {
      checks.push({
        kind: 'quota-month',
        level,
        limit: limits.tokensPerMonth,
        read: readPeriod(keys.month, level, month),
      });
    }
  }
  const reads = await Promise.all(checks.map((check) => check.read));

  let violated: { check: TokenCheck; resetAt: number; remaining: number } | null = null;
  let tightest: { info: RateLimitInfo; share: number } | null = null;
  for (let index = 0; index < checks.length; index++) {
    const check = checks[index];
    const read = reads[index];
    if (check === undefined || read === undefined) continue;
    const remaining = Math.max(0, check.limit - read.total);
    if (read.total >= check.limit) {
      if (violated === null || read.resetAt > violated.resetAt) violated = { check, resetAt: read.resetAt, remaining };
      continue;
    }
    const share = remaining / check.limit;
    if (tightest === null || share < tightest.share) {
      const policy = policyFor(check.kind, check.level, check.limit, at);
      tightest = { share, info: { limit: check.limit, remaining, resetAt: read.resetAt, policy } };
    }
  }

  if (violated !== null) {
    const { check, resetAt, remaining } = violated;
    throw new LimitExceededError({
      kind: check.kind,
      level: check.level,
      limit: check.limit,
      remaining,
      resetAt,
      policy: policyFor(check.kind, check.level, check.limit, at),
      now: at,
    });
  }
  return tightest?.info ?? null;
}

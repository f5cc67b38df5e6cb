import { type LimitKind, type LimitLevel, secondsUntil } from './policy.ts';

export interface LimitExceededInit {
  kind: LimitKind;
  level: LimitLevel;
  limit: number;
  remaining: number;
  resetAt: number;
  /** The `RateLimit-Policy` item of the violated policy (see `policyFor`). */
  policy: string;
  /** When the limit was found exceeded; `retryAfterSeconds` counts from here. */
  now: number;
}

const DESCRIPTIONS: Record<LimitKind, string> = {
  rate: 'request rate limit exceeded',
  concurrency: 'concurrent turn limit reached',
  'tokens-per-minute': 'token rate limit exceeded',
  'quota-day': 'daily token quota exhausted',
  'quota-month': 'monthly token quota exhausted',
};

/**
 * A rate limit, concurrency limit or quota refused the request. Not an `AppError`: the HTTP layer
 * maps it to 429 with `rateLimitHeaders(error, now)`. Its fields are safe to show to the caller.
 */
export class LimitExceededError extends Error {
  override name = 'LimitExceededError';
  readonly kind: LimitKind;
  readonly level: LimitLevel;
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms when the window resets (for concurrency: a suggested retry time). */
  readonly resetAt: number;
  /** Whole seconds until `resetAt`, at least 1. */
  readonly retryAfterSeconds: number;
  /** The `RateLimit-Policy` item of the violated policy. */
  readonly policy: string;

  constructor(init: LimitExceededInit) {
    super(`${init.level === 'tenant' ? 'Tenant' : 'API key'} ${DESCRIPTIONS[init.kind]} (limit ${init.limit})`);
    this.kind = init.kind;
    this.level = init.level;
    this.limit = init.limit;
    this.remaining = init.remaining;
    this.resetAt = init.resetAt;
    this.retryAfterSeconds = Math.max(1, secondsUntil(init.resetAt, init.now));
    this.policy = init.policy;
  }
}

export function isLimitExceededError(error: unknown): error is LimitExceededError {
  return error instanceof LimitExceededError;
}

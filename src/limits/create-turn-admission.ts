import type { TurnAdmission } from '../core/agents/turn-admission.ts';
import { AppError, type ErrorCode } from '../core/errors.ts';
import { countRequest } from './count-request.ts';
import type { CounterStore } from './counter-store.ts';
import { forgetTenantCounters } from './forget-tenant-counters.ts';
import { guardCounterStore } from './guard-counter-store.ts';
import { isLimitExceededError, type LimitExceededError } from './limit-exceeded-error.ts';
import { createLimiter, type UsageLedger } from './limits.ts';
import type { LimitKind } from './policy.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';

const CODES: Record<LimitKind, ErrorCode> = {
  rate: 'RATE_LIMITED',
  concurrency: 'CONCURRENCY_LIMITED',
  'tokens-per-minute': 'TOKEN_RATE_LIMITED',
  'quota-day': 'QUOTA_EXCEEDED',
  'quota-month': 'QUOTA_EXCEEDED',
};

function toAppError(error: LimitExceededError, now: number): AppError {
  const what =
    error.kind === 'quota-day'
      ? 'daily token quota'
      : error.kind === 'quota-month'
        ? 'monthly token quota'
        : error.kind;
  return new AppError(CODES[error.kind], `The ${error.level} ${what} limit (${error.limit}) is reached`, {
    cause: error,
    details: { headers: rateLimitHeaders(error, now) },
  });
}

/** The pipeline's admission port over a counter store (memory now; Redis with the production issue). */
export function createTurnAdmission(
  counters: CounterStore,
  now: () => number = Date.now,
  /** The usage ledger that day and month quotas are rebuilt from (see `LimiterOptions.ledger`). */
  ledger?: UsageLedger,
): TurnAdmission {
  const store = guardCounterStore(counters);
  const limiter = createLimiter({ store, now, ...(ledger ? { ledger } : {}) });
  const translate = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw isLimitExceededError(error) ? toAppError(error, now()) : error;
    }
  };
  return {
    admit: (scope, limits) => translate(() => limiter.admitTurn(scope, limits)),
    recordTokens: (scope, tokens, limits) => limiter.recordTokens(scope, tokens, limits),
    countRequest: (scope, limits) =>
      translate(async () => {
        const at = now();
        const info = await countRequest(store, scope, limits, at);
        return info ? { ...rateLimitHeaders(info, at) } : null;
      }),
    forgetTenant: (tenantId) => forgetTenantCounters(store, tenantId, now()),
  };
}

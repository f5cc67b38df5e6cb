import { AppError } from '../core/errors.ts';
import type { CounterStore } from './counter-store.ts';

/** The `Retry-After` of LIMITS_UNAVAILABLE: about how long a Redis restart or failover takes. */
export const LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** The refusal of a turn or request whose limits cannot be checked: 503, never a 500. */
export function limitsUnavailable(cause: unknown): AppError {
  return new AppError('LIMITS_UNAVAILABLE', 'The limit counters (Redis) do not answer; retry shortly', {
    cause,
    details: { headers: { 'retry-after': String(LIMITS_UNAVAILABLE_RETRY_AFTER_SECONDS) } },
  });
}

/**
 * The store with every failure of its own (Redis down, a timeout) turned into 503
 * LIMITS_UNAVAILABLE: a tenant with limits is refused until they can be checked again, rather
 * than let through unchecked or answered 500. Only callers that check limits reach the store, so
 * a tenant without limits is not affected; charging a stored turn catches the error (best effort).
 */
export function guardCounterStore(store: CounterStore): CounterStore {
  const guard =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await method(...args);
      } catch (error) {
        // Argument checks (RangeError) are our bugs, not an outage: they stay what they are.
        throw error instanceof RangeError ? error : limitsUnavailable(error);
      }
    };
  return {
    increment: guard(store.increment),
    get: guard(store.get),
    incrementUntil: guard(store.incrementUntil),
    getUntil: guard(store.getUntil),
    addIfPresent: guard(store.addIfPresent),
    setIfAbsent: guard(store.setIfAbsent),
    remove: guard(store.remove),
    acquire: guard(store.acquire),
    release: guard(store.release),
    close: () => store.close(),
  };
}

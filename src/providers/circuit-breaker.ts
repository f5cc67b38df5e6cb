export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive endpoint failures (within `windowMs` of the first) that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one trial call is let through (ms). */
  cooldownMs: number;
  /** A run of failures older than this (from its first failure) starts over; default 60 s. */
  windowMs?: number;
  /** Monotonic milliseconds; injected for tests. */
  now?: () => number;
  /** Called on every state change (for the log). */
  onChange?: (state: BreakerState) => void;
}

/**
 * One call's ticket. Settle it once with what the endpoint did: `success` (it answered, even with a
 * 4xx), `failure` (5xx, timeout, connection error) or `release` (no verdict: the caller went away,
 * or the answer could not be judged). Later calls are ignored, and so are permits issued before
 * the last state change, so a slow call from before the circuit opened cannot close it.
 */
export interface BreakerPermit {
  success(): void;
  failure(): void;
  release(): void;
}

export interface CircuitBreaker {
  /** The current state (an open circuit whose cooldown has passed reads as half-open). */
  state(): BreakerState;
  /** A permit for one call, or how long (ms) until a call may be tried again. */
  acquire(): { permit: BreakerPermit } | { retryAfterMs: number };
}

/**
 * A circuit breaker for one provider endpoint, in this process only: closed → open after
 * `threshold` consecutive failures → half-open after `cooldownMs`, which lets exactly one trial
 * call through (the others are refused) → closed when it succeeds, open again when it fails.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? (() => performance.now());
  const windowMs = options.windowMs ?? 60_000;
  let state: BreakerState = 'closed';
  let generation = 0;
  let failures = 0;
  let firstFailureAt = 0;
  let openedAt = 0;
  let trialOut = false;

  const moveTo = (next: BreakerState): void => {
    state = next;
    generation++;
    if (next === 'open') openedAt = now();
    if (next === 'closed') failures = 0;
    trialOut = false;
    options.onChange?.(next);
  };

  const current = (): BreakerState => {
    if (state === 'open' && now() - openedAt >= options.cooldownMs) moveTo('half-open');
    return state;
  };

  const permit = (trial: boolean): BreakerPermit => {
    const issuedIn = generation;
    let settled = false;
    const settle = (apply: () => void): void => {
      if (settled) return;
      settled = true;
      if (issuedIn === generation) apply();
    };
    return {
      success: () =>
        settle(() => {
          if (trial) moveTo('closed');
          else failures = 0;
        }),
      failure: () =>
        settle(() => {
          if (trial) return moveTo('open');
          const at = now();
          if (failures === 0 || at - firstFailureAt > windowMs) {
            failures = 1;
            firstFailureAt = at;
          } else {
            failures++;
          }
          if (failures >= options.threshold) moveTo('open');
        }),
      release: () =>
        settle(() => {
          if (trial) trialOut = false;
        }),
    };
  };

  return {
    state: current,
    acquire() {
      const at = current();
      if (at === 'open') return { retryAfterMs: openedAt + options.cooldownMs - now() };
      if (at === 'half-open') {
        // One trial at a time; the others wait about as long as a trial usually takes to answer.
        if (trialOut) return { retryAfterMs: 1_000 };
        trialOut = true;
        return { permit: permit(true) };
      }
      return { permit: permit(false) };
    },
  };
}

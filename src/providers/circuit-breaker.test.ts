import { describe, expect, it } from 'vitest';
import { type BreakerState, createCircuitBreaker } from './circuit-breaker.ts';

function setup(options: { threshold?: number; cooldownMs?: number; windowMs?: number } = {}) {
  let time = 1_000;
  const changes: BreakerState[] = [];
  const breaker = createCircuitBreaker({
    threshold: options.threshold ?? 3,
    cooldownMs: options.cooldownMs ?? 30_000,
    ...(options.windowMs ? { windowMs: options.windowMs } : {}),
    now: () => time,
    onChange: (state) => changes.push(state),
  });
  const permit = () => {
    const ticket = breaker.acquire();
    if (!('permit' in ticket)) throw new Error(`refused for ${ticket.retryAfterMs} ms`);
    return ticket.permit;
  };
  return {
    breaker,
    changes,
    permit,
    advance: (ms: number) => {
      time += ms;
    },
    fail: (times: number) => {
      for (let i = 0; i < times; i++) permit().failure();
    },
  };
}

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures and refuses with the time left open', () => {
    const b = setup({ threshold: 3, cooldownMs: 30_000 });
    b.fail(2);
    expect(b.breaker.state()).toBe('closed');
    b.fail(1);
    expect(b.breaker.state()).toBe('open');
    b.advance(10_000);
    expect(b.breaker.acquire()).toEqual({ retryAfterMs: 20_000 });
    expect(b.changes).toEqual(['open']);
  });

  it('counts only consecutive failures: a success starts the count over', () => {
    const b = setup({ threshold: 3 });
    b.fail(2);
    b.permit().success();
    b.fail(2);
    expect(b.breaker.state()).toBe('closed');
    b.fail(1);
    expect(b.breaker.state()).toBe('open');
  });

  it('starts the count over when the run of failures is older than the window', () => {
    const b = setup({ threshold: 3, windowMs: 5_000 });
    b.fail(2);
    b.advance(6_000);
    b.fail(2);
    expect(b.breaker.state()).toBe('closed');
    b.fail(1);
    expect(b.breaker.state()).toBe('open');
  });

  it('lets exactly one trial call through once the cooldown has passed, and closes when it succeeds', () => {
    const b = setup({ threshold: 1, cooldownMs: 1_000 });
    b.fail(1);
    b.advance(1_000);
    expect(b.breaker.state()).toBe('half-open');
    const trial = b.permit();
    expect(b.breaker.acquire()).toEqual({ retryAfterMs: 1_000 });
    trial.success();
    expect(b.breaker.state()).toBe('closed');
    expect('permit' in b.breaker.acquire()).toBe(true);
    expect(b.changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again for a full cooldown when the trial call fails', () => {
    const b = setup({ threshold: 1, cooldownMs: 1_000 });
    b.fail(1);
    b.advance(1_500);
    b.permit().failure();
    expect(b.breaker.state()).toBe('open');
    b.advance(999);
    expect(b.breaker.acquire()).toEqual({ retryAfterMs: 1 });
    b.advance(1);
    expect(b.breaker.state()).toBe('half-open');
  });

  it('frees the trial slot when the trial ends without a verdict (the caller went away)', () => {
    const b = setup({ threshold: 1, cooldownMs: 1_000 });
    b.fail(1);
    b.advance(1_000);
    b.permit().release();
    expect(b.breaker.state()).toBe('half-open');
    b.permit().success();
    expect(b.breaker.state()).toBe('closed');
  });

  it('ignores permits issued before the last state change, and a second verdict on one permit', () => {
    const b = setup({ threshold: 2, cooldownMs: 1_000 });
    const slow = b.permit();
    b.fail(2);
    slow.success();
    expect(b.breaker.state()).toBe('open');
    b.advance(1_000);
    const trial = b.permit();
    trial.success();
    trial.failure();
    expect(b.breaker.state()).toBe('closed');
  });
});

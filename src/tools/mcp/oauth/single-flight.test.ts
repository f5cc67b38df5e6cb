import { describe, expect, it } from 'vitest';
import { createSingleFlight } from './single-flight.ts';

describe('createSingleFlight', () => {
  it('shares one run among callers of the same key, and starts a new one after it settles', async () => {
    const flights = createSingleFlight<number>();
    let runs = 0;
    let release: (value: number) => void = () => {};
    const work = () => {
      runs++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const callers = Array.from({ length: 5 }, () => flights.run('grant', work));
    expect(runs).toBe(1);
    expect(flights.size).toBe(1);
    release(7);
    expect(await Promise.all(callers)).toEqual([7, 7, 7, 7, 7]);
    expect(flights.size).toBe(0);
    const next = flights.run('grant', async () => ++runs);
    expect(await next).toBe(2);
  });

  it('keeps keys apart, and a failure reaches every waiting caller, then clears', async () => {
    const flights = createSingleFlight<string>();
    const a = flights.run('a', async () => 'a');
    const b = flights.run('b', async () => 'b');
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    const failing = [1, 2].map(() => flights.run('x', async () => Promise.reject(new Error('refused'))));
    for (const result of await Promise.allSettled(failing)) expect(result.status).toBe('rejected');
    expect(await flights.run('x', async () => 'ok')).toBe('ok');
  });
});

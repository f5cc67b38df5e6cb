import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryTurnBus } from '../../events/memory-turn-bus.ts';
import { isAppError } from '../errors.ts';
import type { TurnBus } from './turn-bus.ts';
import { createTurnRegistry } from './turn-registry.ts';

const noErrors = (errors: unknown[] = []) => ({ onError: (error: unknown) => errors.push(error) });

afterEach(() => {
  vi.useRealTimers();
});

describe('turn registry on the memory bus', () => {
  it('aborts exactly the turn a cancel names, with TURN_CANCELLED as the reason', async () => {
    const registry = createTurnRegistry({ bus: createMemoryTurnBus(), ...noErrors() });
    const target = await registry.begin('acme', 'msg_1');
    const sibling = await registry.begin('acme', 'msg_2');
    expect(await registry.cancel('acme', 'msg_1')).toBe(true);
    expect(target.signal.aborted).toBe(true);
    expect(isAppError(target.signal.reason) && target.signal.reason.code).toBe('TURN_CANCELLED');
    expect(sibling.signal.aborted).toBe(false);
    await target.end();
    await sibling.end();
  });

  it('another tenant cannot cancel a turn, even with its id; it is told the turn is not running', async () => {
    const registry = createTurnRegistry({ bus: createMemoryTurnBus(), ...noErrors() });
    const turn = await registry.begin('acme', 'msg_1');
    expect(await registry.cancel('globex', 'msg_1')).toBe(false);
    expect(await registry.cancel('acme', 'msg_unknown')).toBe(false);
    expect(turn.signal.aborted).toBe(false);
    await turn.end();
  });

  it('forgets a turn when it ends (twice is harmless), so a late cancel finds nothing', async () => {
    const registry = createTurnRegistry({ bus: createMemoryTurnBus(), ...noErrors() });
    const turn = await registry.begin('acme', 'msg_1');
    await turn.end();
    await turn.end();
    expect(await registry.cancel('acme', 'msg_1')).toBe(false);
    expect(turn.signal.aborted).toBe(false);
    // The same pair may run again (say, a retry under the same id) and is tracked afresh.
    const again = await registry.begin('acme', 'msg_1');
    expect(await registry.cancel('acme', 'msg_1')).toBe(true);
    expect(again.signal.aborted).toBe(true);
    await again.end();
  });

  it('refuses to track the same running pair twice', async () => {
    const registry = createTurnRegistry({ bus: createMemoryTurnBus(), ...noErrors() });
    const turn = await registry.begin('acme', 'msg_1');
    await expect(registry.begin('acme', 'msg_1')).rejects.toThrow(/already tracked/);
    await turn.end();
  });

  it('a cancel sent through one registry reaches the turn another registry runs on the same bus', async () => {
    const bus = createMemoryTurnBus();
    const runner = createTurnRegistry({ bus, ...noErrors() });
    const other = createTurnRegistry({ bus, ...noErrors() });
    const turn = await runner.begin('acme', 'msg_1');
    expect(await other.cancel('acme', 'msg_1')).toBe(true);
    expect(turn.signal.aborted).toBe(true);
    await turn.end();
    expect(await other.cancel('acme', 'msg_1')).toBe(false);
  });

  it('keeps refreshing the running mark while the turn runs, past its TTL', async () => {
    vi.useFakeTimers();
    const bus = createMemoryTurnBus();
    const registry = createTurnRegistry({ bus, ttlMs: 300, ...noErrors() });
    const turn = await registry.begin('acme', 'msg_1');
    for (let step = 0; step < 10; step++) {
      await vi.advanceTimersByTimeAsync(100);
      expect(await bus.isRunning('acme', 'msg_1')).toBe(true);
    }
    await turn.end();
    expect(await bus.isRunning('acme', 'msg_1')).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runs the turn on when the bus fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    const broken: TurnBus = {
      ...createMemoryTurnBus(),
      markRunning: () => Promise.reject(new Error('bus down')),
      markDone: () => Promise.reject(new Error('bus down')),
    };
    const registry = createTurnRegistry({ bus: broken, ...noErrors(errors) });
    const turn = await registry.begin('acme', 'msg_1');
    expect(turn.signal.aborted).toBe(false);
    await turn.end();
    expect(errors.map((error) => (error as Error).message)).toEqual(['bus down', 'bus down']);
  });
});

describe('memory turn bus', () => {
  it('expires a running mark after its TTL unless refreshed', async () => {
    let now = 1_000;
    const bus = createMemoryTurnBus({ now: () => now });
    await bus.markRunning('acme', 'msg_1', 100);
    now += 99;
    expect(await bus.isRunning('acme', 'msg_1')).toBe(true);
    await bus.markRunning('acme', 'msg_1', 100);
    now += 99;
    expect(await bus.isRunning('acme', 'msg_1')).toBe(true);
    now += 1;
    expect(await bus.isRunning('acme', 'msg_1')).toBe(false);
  });

  it('keeps pairs apart whatever the ids contain', async () => {
    const bus = createMemoryTurnBus();
    await bus.markRunning('a:b', 'c', 1_000);
    expect(await bus.isRunning('a', 'b:c')).toBe(false);
    expect(await bus.isRunning('a:b', 'c')).toBe(true);
  });
});

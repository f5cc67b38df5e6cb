import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createCallDeadline } from './call-deadline.ts';

describe('createCallDeadline', () => {
  it("aborts with the caller's reason when the caller aborts, without counting as timed out", () => {
    const caller = new AbortController();
    const deadline = createCallDeadline(caller.signal, 60_000);
    const reason = new Error('client left');
    caller.abort(reason);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
    expect(deadline.timedOut).toBe(false);
    deadline.end();
  });

  it('starts aborted when the caller already has', () => {
    const deadline = createCallDeadline(AbortSignal.abort('gone'), 60_000);
    expect(deadline.signal.reason).toBe('gone');
  });

  it('aborts with a TimeoutError at the deadline, as AbortSignal.timeout does', async () => {
    const deadline = createCallDeadline(new AbortController().signal, 5);
    await sleep(30);
    expect(deadline.timedOut).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DOMException);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('once ended, neither the deadline nor the caller aborts it', async () => {
    const caller = new AbortController();
    const deadline = createCallDeadline(caller.signal, 5);
    deadline.end();
    await sleep(30);
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.timedOut).toBe(false);
  });
});

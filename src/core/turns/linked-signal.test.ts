import { describe, expect, it } from 'vitest';
import { linkSignals } from './linked-signal.ts';

describe('linkSignals', () => {
  it('aborts with the reason of whichever source aborts first, once', () => {
    for (const first of [0, 1]) {
      const sources = [new AbortController(), new AbortController()] as const;
      const linked = linkSignals(sources[0].signal, sources[1].signal);
      const seen: unknown[] = [];
      linked.signal.addEventListener('abort', () => seen.push(linked.signal.reason));
      expect(linked.signal.aborted).toBe(false);
      sources[first]?.abort(`reason ${first}`);
      sources[1 - first]?.abort('later');
      expect(seen).toEqual([`reason ${first}`]);
    }
  });

  it('is aborted from the start when a source already is', () => {
    const done = new AbortController();
    done.abort('gone');
    const linked = linkSignals(new AbortController().signal, done.signal);
    expect([linked.signal.aborted, linked.signal.reason]).toEqual([true, 'gone']);
    linked.end();
  });

  it('stops following both sources once ended', () => {
    const sources = [new AbortController(), new AbortController()] as const;
    const linked = linkSignals(sources[0].signal, sources[1].signal);
    linked.end();
    linked.end();
    sources[0].abort('late');
    expect(linked.signal.aborted).toBe(false);
  });

  it('keeps a timeout reason as AbortSignal.any does', () => {
    const timeout = new AbortController();
    const linked = linkSignals(new AbortController().signal, timeout.signal);
    const reason = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    timeout.abort(reason);
    expect(linked.signal.reason).toBe(reason);
  });
});

/** One signal that aborts when either of two does; `end()` stops listening to both. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** The work is over: removes the listeners from both sources. Idempotent. */
  end(): void;
}

/**
 * What `AbortSignal.any([a, b])` gives a turn, without its weak references and finalization
 * registration: in a loop, a composite signal with one listener cost 7.6–13.4 µs of CPU against
 * 1.4–2.2 µs here, and V8's minor collections treat those references as strong, so the composite
 * signal and what its listeners reach were promoted to the old generation. The first source to
 * abort gives its reason, as with `AbortSignal.any`.
 */
export function linkSignals(a: AbortSignal, b: AbortSignal): LinkedSignal {
  const controller = new AbortController();
  if (a.aborted || b.aborted) {
    controller.abort(a.aborted ? a.reason : b.reason);
    return { signal: controller.signal, end() {} };
  }
  const onA = () => {
    end();
    controller.abort(a.reason);
  };
  const onB = () => {
    end();
    controller.abort(b.reason);
  };
  function end(): void {
    a.removeEventListener('abort', onA);
    b.removeEventListener('abort', onB);
  }
  a.addEventListener('abort', onA, { once: true });
  b.addEventListener('abort', onB, { once: true });
  return { signal: controller.signal, end };
}

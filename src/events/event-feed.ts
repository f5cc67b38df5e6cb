/**
 * A queue read as an async iterable: `push` from the producer, `for await` on the reader side. It
 * ends on `end()`, when `signal` aborts, or when the reader stops iterating; `onEnd` runs once then.
 */
export interface EventFeed<T> extends AsyncIterable<T> {
  push(value: T): void;
  end(): void;
}

export function createEventFeed<T>(signal: AbortSignal, onEnd: () => void): EventFeed<T> {
  const queue: T[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const end = () => {
    if (ended) return;
    ended = true;
    signal.removeEventListener('abort', end);
    onEnd();
    wake?.();
  };
  // Later, so that `onEnd` never runs before the caller holds the feed.
  if (signal.aborted) queueMicrotask(end);
  else signal.addEventListener('abort', end, { once: true });
  return {
    push(value) {
      if (ended) return;
      queue.push(value);
      wake?.();
    },
    end,
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const value = queue.shift();
          if (value !== undefined) {
            yield value;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
      } finally {
        end();
      }
    },
  };
}

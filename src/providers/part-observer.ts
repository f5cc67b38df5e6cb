import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';

/** Watches a model stream's parts as its reader takes them, and how the stream ends. */
export interface PartObserver {
  part(part: LanguageModelV4StreamPart): void;
  /** The stream closed after its last part. */
  done(): void;
  /** The stream failed (a read error the consumer receives). */
  failed(error: unknown): void;
  /** The consumer cancelled the stream. */
  cancelled(reason: unknown): void;
}

const observable = new WeakMap<ReadableStream<LanguageModelV4StreamPart>, PartObserver[]>();

/**
 * Marks a stream whose source reports each part and its end to `observers` (the retry guard's
 * stream does). Observing such a stream costs a function call per part, where wrapping it would
 * cost a whole pulled stream stage (a read, a promise and an enqueue per part, and about 3 KB per
 * open stream).
 */
export function observableStream(
  stream: ReadableStream<LanguageModelV4StreamPart>,
  observers: PartObserver[],
): ReadableStream<LanguageModelV4StreamPart> {
  observable.set(stream, observers);
  return stream;
}

/** Adds `observer` to a stream made observable; false for any other stream (the caller wraps it). */
export function observeParts(stream: ReadableStream<LanguageModelV4StreamPart>, observer: PartObserver): boolean {
  const observers = observable.get(stream);
  if (!observers) return false;
  observers.push(observer);
  return true;
}

/** A stream controller that also tells `observers` what passes through it. */
export function observedController(
  controller: ReadableStreamDefaultController<LanguageModelV4StreamPart>,
  observers: readonly PartObserver[],
): Pick<ReadableStreamDefaultController<LanguageModelV4StreamPart>, 'enqueue' | 'close' | 'error'> {
  return {
    enqueue(part) {
      for (const observer of observers) observer.part(part as LanguageModelV4StreamPart);
      controller.enqueue(part);
    },
    close() {
      for (const observer of observers) observer.done();
      controller.close();
    },
    error(error) {
      for (const observer of observers) observer.failed(error);
      controller.error(error);
    },
  };
}

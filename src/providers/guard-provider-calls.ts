import type { LanguageModelV4, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { type LanguageModel, wrapLanguageModel } from 'ai';
import { toProviderError } from './provider-error.ts';

export interface GuardOptions {
  /** The platform provider id; the model reports it as its `provider` (stored as `provider:model`). */
  provider: string;
  /** Longest one call may take, streaming included. */
  timeoutMs: number;
}

type GuardableModel = Exclude<LanguageModel, string>;

/**
 * The one path every model call takes: a total timeout per call (combined with the caller's
 * signal) and provider failures mapped to PROVIDER_* errors, for `generateText` (thrown) and
 * `streamText` (in the stream) alike. Retries or a circuit breaker belong here too.
 * A cancel by the caller is passed through unchanged: the turn pipeline decides what it means.
 */
export function guardProviderCalls(model: GuardableModel, options: GuardOptions): LanguageModelV4 {
  const { provider, timeoutMs } = options;
  function start(callerSignal: AbortSignal | undefined) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const fail = (error: unknown): unknown =>
      callerSignal?.aborted ? error : toProviderError(error, { provider, timedOut: timeout.aborted, timeoutMs });
    return { signal, fail };
  }
  return wrapLanguageModel({
    model,
    providerId: provider,
    middleware: {
      async wrapGenerate({ params, model: inner }) {
        const call = start(params.abortSignal);
        try {
          return await inner.doGenerate({ ...params, abortSignal: call.signal });
        } catch (error) {
          throw call.fail(error);
        }
      },
      async wrapStream({ params, model: inner }) {
        const call = start(params.abortSignal);
        let result: Awaited<ReturnType<LanguageModelV4['doStream']>>;
        try {
          result = await inner.doStream({ ...params, abortSignal: call.signal });
        } catch (error) {
          throw call.fail(error);
        }
        return { ...result, stream: mapStreamErrors(result.stream, call.fail) };
      },
    },
  });
}

/** Maps error parts and a stream that breaks off (a cut connection, an abort) through `fail`. */
function mapStreamErrors(
  stream: ReadableStream<LanguageModelV4StreamPart>,
  fail: (error: unknown) => unknown,
): ReadableStream<LanguageModelV4StreamPart> {
  const reader = stream.getReader();
  return new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value.type === 'error' ? { type: 'error', error: fail(value.error) } : value);
      } catch (error) {
        controller.error(fail(error));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

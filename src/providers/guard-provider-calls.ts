import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV3StreamPart, LanguageModelV4, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { type LanguageModel, wrapLanguageModel } from 'ai';
import { createCallDeadline } from './call-deadline.ts';
import type { BreakerPermit, CircuitBreaker } from './circuit-breaker.ts';
import { observableStream, observedController, type PartObserver } from './part-observer.ts';
import { toProviderError } from './provider-error.ts';
import {
  classifyFailure,
  isEndpointFailure,
  type ProviderFailure,
  retryDelay,
  unavailableError,
} from './retry-policy.ts';
import { isLanguageModelV3, streamV3Model, toV4StreamPart } from './stream-v3-model.ts';

export interface GuardOptions {
  /** The platform provider id; the model reports it as its `provider` (stored as `provider:model`). */
  provider: string;
  /** Longest one call may take, retries, their waits and streaming included. */
  timeoutMs: number;
  /** Retries after a 429, 5xx or connection failure, before any output; 0 turns retrying off. */
  maxRetries: number;
  /** Reported in the message of a connect timeout (the fetch enforces it). */
  connectTimeoutMs?: number;
  /** The breaker of this provider endpoint, shared by every model of it; null: none. */
  breaker: CircuitBreaker | null;
  /** For the backoff's jitter; injected for tests. */
  random?: () => number;
}

type GuardableModel = Exclude<LanguageModel, string>;
/** An attempt's stream: v4 parts, or a v3 model's parts that `guardStream` maps as it reads them. */
type StreamResult = Omit<Awaited<ReturnType<LanguageModelV4['doStream']>>, 'stream'> & {
  stream: ReadableStream<LanguageModelV4StreamPart> | ReadableStream<LanguageModelV3StreamPart>;
};
type PartMapper = (part: LanguageModelV4StreamPart | LanguageModelV3StreamPart) => LanguageModelV4StreamPart;
const AS_IS: PartMapper = (part) => part as LanguageModelV4StreamPart;

/** Stream parts that carry no output: held back, so a failure right after them can still be retried. */
const PREAMBLE = new Set<LanguageModelV4StreamPart['type']>(['stream-start', 'response-metadata', 'raw']);

const NO_PERMIT: BreakerPermit = { success() {}, failure() {}, release() {} };

/**
 * The one path every model call takes (`generateText` and `streamText` alike):
 * - a deadline per call (`timeoutMs`, combined with the caller's signal) covering every attempt;
 * - the endpoint's circuit breaker: an open circuit fails at once with 503 PROVIDER_UNAVAILABLE;
 * - retries with exponential backoff and full jitter after a 429 (waiting its Retry-After), a 5xx or
 *   a connection failure, never waiting past the deadline, and for a stream only while it has
 *   produced no output (so nothing is ever sent twice);
 * - provider failures mapped to PROVIDER_* errors (thrown, or as the stream's error part).
 * A cancel by the caller is passed through unchanged: the turn pipeline decides what it means.
 * The AI SDK's own retries must stay off (`maxRetries: 0` in the call), or retries multiply.
 */
export function guardProviderCalls(model: GuardableModel, options: GuardOptions): LanguageModelV4 {
  const { provider, timeoutMs, breaker } = options;

  function start(callerSignal: AbortSignal | undefined) {
    const deadline = performance.now() + timeoutMs;
    const timeout = createCallDeadline(callerSignal, timeoutMs);
    const signal = timeout.signal;
    let retries = 0;
    const fail = (error: unknown, failure?: ProviderFailure): unknown =>
      callerSignal?.aborted
        ? error
        : toProviderError(error, {
            provider,
            timedOut: timeout.timedOut,
            timeoutMs,
            failure: failure ?? classifyFailure(error),
            ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
          });
    return {
      signal,
      fail,
      /** The call is over (answered, failed for good, or its stream ended): its deadline timer goes. */
      end: timeout.end,
      /** A permit for the next attempt; throws PROVIDER_UNAVAILABLE (first attempt) or `lastError`. */
      admit(lastError: unknown): BreakerPermit {
        if (!breaker) return NO_PERMIT;
        const ticket = breaker.acquire();
        if ('permit' in ticket) return ticket.permit;
        throw retries === 0 ? unavailableError(provider, ticket.retryAfterMs) : fail(lastError);
      },
      /**
       * Records a failed attempt on the breaker, then waits out the backoff when it may be retried;
       * throws the mapped error when it may not.
       */
      async recover(error: unknown, permit: BreakerPermit): Promise<void> {
        if (callerSignal?.aborted) {
          permit.release();
          throw error;
        }
        const failure = classifyFailure(error);
        if (timeout.timedOut || isEndpointFailure(failure)) permit.failure();
        else if (failure.kind === 'rate-limited' || failure.kind === 'rejected') permit.success();
        else permit.release();
        const wait = timeout.timedOut
          ? null
          : retryDelay(failure, retries, {
              maxRetries: options.maxRetries,
              remainingMs: deadline - performance.now(),
              ...(options.random ? { random: options.random } : {}),
            });
        if (wait === null) throw fail(error, failure);
        retries++;
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          // Only the caller can abort the wait (it never outlasts the deadline): pass its reason on.
          throw callerSignal?.reason ?? fail(error, failure);
        }
      },
    };
  }

  type Call = ReturnType<typeof start>;

  /** Calls `attempt` until it succeeds or `call.recover` gives up; returns the result and its permit. */
  async function withRetries<T>(
    call: Call,
    attempt: () => PromiseLike<T>,
    lastError: unknown = null,
  ): Promise<{ value: T; permit: BreakerPermit }> {
    let previous = lastError;
    for (;;) {
      const permit = call.admit(previous);
      try {
        return { value: await attempt(), permit };
      } catch (error) {
        await call.recover(error, permit);
        previous = error;
      }
    }
  }

  return wrapLanguageModel({
    model,
    providerId: provider,
    middleware: {
      async wrapGenerate({ params, model: inner }) {
        const call = start(params.abortSignal);
        try {
          const { value, permit } = await withRetries(call, () =>
            inner.doGenerate({ ...params, abortSignal: call.signal }),
          );
          permit.success();
          return value;
        } finally {
          call.end();
        }
      },
      async wrapStream({ params, model: inner }) {
        const call = start(params.abortSignal);
        // A v3 model (the vendor packages' own models; the lean openai-compatible one is v4) is
        // called directly and its parts mapped to v4 as the guard reads them: through `inner`, the
        // SDK's adapter would add a transform stage to the stream.
        const direct = isLanguageModelV3(model) ? model : null;
        const attempt = (): PromiseLike<StreamResult> =>
          direct
            ? streamV3Model(direct, { ...params, abortSignal: call.signal })
            : inner.doStream({ ...params, abortSignal: call.signal });
        const connect = (lastError?: unknown) => withRetries(call, attempt, lastError);
        let first: Awaited<ReturnType<typeof connect>>;
        try {
          first = await connect();
        } catch (error) {
          call.end();
          throw error;
        }
        // The request and response metadata are those of the first attempt that answered.
        return {
          ...first.value,
          stream: guardStream(first, connect, call, direct ? (toV4StreamPart as PartMapper) : AS_IS),
        };
      },
    },
  });
}

/**
 * Passes a stream's parts on, mapping error parts and a stream that breaks off (a cut connection,
 * the deadline) to PROVIDER_* errors. Until the first part with output it holds the preamble back,
 * and a retryable failure reconnects instead: the consumer never sees the failed attempt.
 */
function guardStream(
  first: { value: StreamResult; permit: BreakerPermit },
  connect: (lastError: unknown) => Promise<{ value: StreamResult; permit: BreakerPermit }>,
  call: {
    fail(error: unknown): unknown;
    recover(error: unknown, permit: BreakerPermit): Promise<void>;
    end(): void;
  },
  toV4: PartMapper,
): ReadableStream<LanguageModelV4StreamPart> {
  const readerOf = (result: StreamResult) =>
    (result.stream as ReadableStream<LanguageModelV4StreamPart | LanguageModelV3StreamPart>).getReader();
  let reader = readerOf(first.value);
  let permit = first.permit;
  let committed = false;
  const held: LanguageModelV4StreamPart[] = [];

  /** Before any output: retry on a new connection if the failure allows, else throw the mapped error. */
  async function reconnect(error: unknown): Promise<void> {
    reader.cancel().catch(() => {});
    await call.recover(error, permit);
    held.length = 0;
    const next = await connect(error);
    reader = readerOf(next.value);
    permit = next.permit;
  }

  type Out = ReturnType<typeof observedController>;
  function commit(controller: Out): void {
    committed = true;
    // The endpoint answered with output: that is the success the breaker counts.
    permit.success();
    for (const part of held) controller.enqueue(part);
    held.length = 0;
  }

  // Telemetry observes the parts here (observeParts) rather than through a stream stage of its own.
  const observers: PartObserver[] = [];
  let controller: Out;
  const stream = new ReadableStream<LanguageModelV4StreamPart>({
    start(source) {
      controller = observedController(source, observers);
    },
    async pull() {
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          let final: unknown;
          if (committed) final = call.fail(error);
          else {
            try {
              await reconnect(error);
              continue;
            } catch (failure) {
              final = failure;
            }
          }
          // Failed for good; ended only now, as the mapping above asks whether the deadline passed.
          call.end();
          return controller.error(final);
        }
        if (next.done) {
          call.end();
          if (!committed) commit(controller);
          return controller.close();
        }
        const part = toV4(next.value);
        if (part.type === 'error') {
          if (!committed) {
            try {
              await reconnect(part.error);
              continue;
            } catch (final) {
              commit(controller);
              controller.enqueue({ type: 'error', error: final });
              return;
            }
          }
          controller.enqueue({ type: 'error', error: call.fail(part.error) });
          return;
        }
        if (!committed && PREAMBLE.has(part.type)) {
          held.push(part);
          continue;
        }
        if (!committed) commit(controller);
        controller.enqueue(part);
        return;
      }
    },
    cancel(reason) {
      permit.release();
      call.end();
      for (const observer of observers) observer.cancelled(reason);
      return reader.cancel(reason);
    },
  });
  return observableStream(stream, observers);
}

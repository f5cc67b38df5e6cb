import { APICallError } from 'ai';
import { AppError } from '../core/errors.ts';
import { classifyFailure, type ProviderFailure } from './retry-policy.ts';

export interface ProviderErrorContext {
  provider: string;
  /** The call's deadline passed. */
  timedOut: boolean;
  timeoutMs: number;
  /** What the failure was; classified from `error` when not given. */
  failure?: ProviderFailure;
  connectTimeoutMs?: number;
}

/**
 * Maps a failed provider call to the error the caller sees. The provider's own message stays in
 * `cause` (logged, never returned): it can quote the request, and a 5xx body never carries internals.
 */
export function toProviderError(error: unknown, context: ProviderErrorContext): AppError {
  if (error instanceof AppError) return error;
  const { provider } = context;
  if (context.timedOut) {
    return new AppError('PROVIDER_TIMEOUT', `Provider ${provider} did not answer within ${context.timeoutMs} ms`, {
      cause: error,
    });
  }
  const failure = context.failure ?? classifyFailure(error);
  const status = APICallError.isInstance(error) ? error.statusCode : undefined;
  switch (failure.kind) {
    case 'rate-limited': {
      const seconds = failure.retryAfterMs === null ? null : Math.ceil(failure.retryAfterMs / 1000);
      return new AppError('PROVIDER_RATE_LIMITED', `Provider ${provider} is rate limiting (HTTP 429)`, {
        cause: error,
        ...(seconds !== null ? { details: { headers: { 'retry-after': String(seconds) } } } : {}),
      });
    }
    case 'rejected': {
      const what = status === 401 || status === 403 ? 'the credentials' : 'the request';
      return new AppError('PROVIDER_REJECTED', `Provider ${provider} refused ${what} (HTTP ${status})`, {
        cause: error,
      });
    }
    case 'server':
      return new AppError('PROVIDER_ERROR', `Provider ${provider} failed (HTTP ${status})`, { cause: error });
    case 'connection':
      if (failure.connectTimeout) {
        const within = context.connectTimeoutMs ? ` within ${context.connectTimeoutMs} ms` : '';
        return new AppError('PROVIDER_TIMEOUT', `Provider ${provider} could not be connected to${within}`, {
          cause: error,
        });
      }
      return new AppError('PROVIDER_ERROR', `Provider ${provider} could not be reached or dropped the connection`, {
        cause: error,
      });
    case 'unusable':
      return new AppError('PROVIDER_ERROR', `Provider ${provider} sent a response that could not be used`, {
        cause: error,
      });
  }
}

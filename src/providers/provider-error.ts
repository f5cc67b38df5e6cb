import { APICallError } from 'ai';
import { AppError } from '../core/errors.ts';

/**
 * Maps a failed provider call to the error the caller sees. The provider's own message stays in
 * `cause` (logged, never returned): it can quote the request, and a 5xx body never carries internals.
 */
export function toProviderError(error: unknown, context: { provider: string; timedOut: boolean; timeoutMs: number }) {
  if (error instanceof AppError) return error;
  const { provider } = context;
  if (context.timedOut) {
    return new AppError('PROVIDER_TIMEOUT', `Provider ${provider} did not answer within ${context.timeoutMs} ms`, {
      cause: error,
    });
  }
  if (APICallError.isInstance(error) && error.statusCode !== undefined) {
    const status = error.statusCode;
    if (status === 429) {
      const retryAfter = error.responseHeaders?.['retry-after'];
      return new AppError('PROVIDER_RATE_LIMITED', `Provider ${provider} is rate limiting (HTTP 429)`, {
        cause: error,
        ...(retryAfter && /^\d{1,6}$/.test(retryAfter) ? { details: { headers: { 'retry-after': retryAfter } } } : {}),
      });
    }
    if (status >= 400 && status < 500 && status !== 408) {
      const what = status === 401 || status === 403 ? 'the credentials' : 'the request';
      return new AppError('PROVIDER_REJECTED', `Provider ${provider} refused ${what} (HTTP ${status})`, {
        cause: error,
      });
    }
    return new AppError('PROVIDER_ERROR', `Provider ${provider} failed (HTTP ${status})`, { cause: error });
  }
  if (APICallError.isInstance(error)) {
    return new AppError('PROVIDER_ERROR', `Provider ${provider} could not be reached`, { cause: error });
  }
  return new AppError('PROVIDER_ERROR', `Provider ${provider} sent a response that could not be used`, {
    cause: error,
  });
}

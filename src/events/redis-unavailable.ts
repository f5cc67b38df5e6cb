import { AppError } from '../core/errors.ts';

/** The `Retry-After` of a Redis-backed service that does not answer: about a Redis restart or failover. */
const RETRY_AFTER_SECONDS = 5;

/**
 * 503 NOT_READY, with `Retry-After`, for a call that needed Redis (`what` names the service: the
 * session lock, the turn event log, the turn bus) while Redis does not answer: the service is
 * away, not the request wrong, so never a 500.
 */
export function redisUnavailable(what: string, cause: unknown): AppError {
  return new AppError('NOT_READY', `The ${what} (Redis) does not answer`, {
    cause,
    details: { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
  });
}

import { LimitExceededError } from './limit-exceeded-error.ts';
import { policyName, secondsUntil, sfString } from './policy.ts';

/** The state of one policy, for the headers of a response that was not refused. */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
  /** The `RateLimit-Policy` item (from `policyFor` or `formatPolicy`); its name is reused in `RateLimit`. */
  policy: string;
}

export interface RateLimitHeaderValues {
  'RateLimit-Policy': string;
  RateLimit: string;
  /** Only for a refusal (a `LimitExceededError`). */
  'Retry-After'?: string;
}

/**
 * The header fields of draft-ietf-httpapi-ratelimit-headers-11 (May 2026) for one policy:
 *
 * ```
 * RateLimit-Policy: "tenant-tpm";q=100000;w=60;enclave-unit="tokens"
 * RateLimit: "tenant-tpm";r=0;t=37
 * Retry-After: 37
 * ```
 *
 * `r` is the remaining quota (a non-negative integer), `t` the whole seconds until the window
 * resets (rounded up). For a refusal `Retry-After` is delay-seconds, at least 1, and never earlier
 * than the end of the effective window `t` (draft section 6).
 */
export function rateLimitHeaders(info: LimitExceededError | RateLimitInfo, now: number): RateLimitHeaderValues {
  const name = policyName(info.policy);
  if (name === null) {
    throw new TypeError(`policy must be a RateLimit-Policy item that starts with a quoted name: ${info.policy}`);
  }
  const remaining = Math.max(0, Math.floor(info.remaining));
  const seconds = secondsUntil(info.resetAt, now);
  const headers: RateLimitHeaderValues = {
    'RateLimit-Policy': info.policy,
    RateLimit: `${sfString(name)};r=${remaining};t=${seconds}`,
  };
  if (info instanceof LimitExceededError) headers['Retry-After'] = String(Math.max(1, seconds));
  return headers;
}

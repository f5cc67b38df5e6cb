import { APICallError } from 'ai';
import { AppError } from '../core/errors.ts';

/** First backoff ceiling (ms); it doubles per retry up to BACKOFF_CAP_MS. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 8_000;

/**
 * What a failed provider call was, for the retry and the circuit breaker:
 * - `rate-limited`: HTTP 429, with the wait the provider asked for (null: none given);
 * - `server`: HTTP 5xx or 408, the provider's own failure;
 * - `connection`: no HTTP answer (refused, reset, cut, connect timeout); `connectTimeout` marks the last;
 * - `rejected`: another 4xx, the provider refused this request (a retry would get the same);
 * - `unusable`: anything else (a body or chunk that does not parse), not retried.
 */
export type ProviderFailure =
  | { kind: 'rate-limited'; retryAfterMs: number | null }
  | { kind: 'server' }
  | { kind: 'connection'; connectTimeout: boolean }
  | { kind: 'rejected' }
  | { kind: 'unusable' };

/** Error codes (on the error or its causes) that mean the connection failed, not the provider's answer. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && !chain.includes(current) && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyFailure(error: unknown, now: number = Date.now()): ProviderFailure {
  if (APICallError.isInstance(error) && error.statusCode !== undefined) {
    const status = error.statusCode;
    if (status === 429) return { kind: 'rate-limited', retryAfterMs: retryAfterMs(error.responseHeaders, now) };
    if (status >= 500 || status === 408) return { kind: 'server' };
    if (status >= 400) return { kind: 'rejected' };
  }
  const chain = causes(error);
  const codes = chain.map(codeOf);
  if (codes.includes('UND_ERR_CONNECT_TIMEOUT')) return { kind: 'connection', connectTimeout: true };
  // The SDK turns "fetch failed" into an APICallError without a status; a body cut off mid-way
  // surfaces as undici's TypeError "terminated" (cause: a socket error).
  if (
    (APICallError.isInstance(error) && error.statusCode === undefined) ||
    codes.some((code) => code !== undefined && CONNECTION_CODES.has(code)) ||
    chain.some((link) => link instanceof TypeError && link.message === 'terminated')
  ) {
    return { kind: 'connection', connectTimeout: false };
  }
  return { kind: 'unusable' };
}

/** Whether a call that failed this way may succeed when tried again. */
export function isRetryable(failure: ProviderFailure): boolean {
  return failure.kind === 'rate-limited' || failure.kind === 'server' || failure.kind === 'connection';
}

/** Whether the failure says the endpoint itself is unhealthy (what the circuit breaker counts). */
export function isEndpointFailure(failure: ProviderFailure): boolean {
  return failure.kind === 'server' || failure.kind === 'connection';
}

/**
 * The wait a 429 or 503 asks for, in ms: `retry-after-ms` (OpenAI), else `Retry-After` as seconds
 * or an HTTP date. Null when absent or unreadable; never negative.
 */
export function retryAfterMs(headers: Record<string, string> | undefined, now: number = Date.now()): number | null {
  if (!headers) return null;
  const milliseconds = headers['retry-after-ms'];
  if (milliseconds && /^\d+(\.\d+)?$/.test(milliseconds.trim())) return Math.ceil(Number(milliseconds));
  const value = headers['retry-after']?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential backoff with full jitter: a uniform wait in [0, min(cap, base · 2^retry)). */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry));
}

/**
 * How long to wait before retry number `retry` (0-based), or null to give up: the failure is not
 * retryable, the retries are used up, or the wait would not end before the call's deadline.
 */
export function retryDelay(
  failure: ProviderFailure,
  retry: number,
  options: { maxRetries: number; remainingMs: number; random?: () => number },
): number | null {
  if (!isRetryable(failure) || retry >= options.maxRetries) return null;
  const wait =
    failure.kind === 'rate-limited' && failure.retryAfterMs !== null
      ? failure.retryAfterMs
      : backoffMs(retry, options.random);
  return wait < options.remainingMs ? wait : null;
}

/** The breaker refused the call: 503 PROVIDER_UNAVAILABLE with a Retry-After of the time left open. */
export function unavailableError(provider: string, retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    'PROVIDER_UNAVAILABLE',
    `Provider ${provider} is failing; calls are paused for up to ${seconds} s (circuit open)`,
    { details: { headers: { 'retry-after': String(seconds) } } },
  );
}

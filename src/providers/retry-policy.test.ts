import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffMs,
  classifyFailure,
  retryAfterMs,
  retryDelay,
} from './retry-policy.ts';

const apiError = (statusCode: number | undefined, headers: Record<string, string> = {}, cause?: unknown) =>
  new APICallError({
    message: 'failed',
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    responseHeaders: headers,
    cause,
  });

describe('retry policy', () => {
  it('reads Retry-After as seconds, as an HTTP date, and OpenAI retry-after-ms before both', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, now)).toBe(7_000);
    expect(retryAfterMs({ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, now)).toBe(0);
    expect(retryAfterMs({ 'retry-after-ms': '250.5', 'retry-after': '3' }, now)).toBe(251);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(retryAfterMs({}, now)).toBeNull();
  });

  it('classifies 429, 5xx and 408, other 4xx, connection failures and unusable answers', () => {
    expect(classifyFailure(apiError(429, { 'retry-after': '2' }))).toEqual({
      kind: 'rate-limited',
      retryAfterMs: 2_000,
    });
    expect(classifyFailure(apiError(503))).toEqual({ kind: 'server' });
    expect(classifyFailure(apiError(408))).toEqual({ kind: 'server' });
    expect(classifyFailure(apiError(401))).toEqual({ kind: 'rejected' });
    expect(classifyFailure(apiError(undefined))).toEqual({ kind: 'connection', connectTimeout: false });
    const connectTimeout = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    expect(classifyFailure(apiError(undefined, {}, connectTimeout))).toEqual({
      kind: 'connection',
      connectTimeout: true,
    });
    const cut = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(classifyFailure(cut)).toEqual({ kind: 'connection', connectTimeout: false });
    expect(classifyFailure(new SyntaxError('Unexpected end of JSON input'))).toEqual({ kind: 'unusable' });
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMs(0, () => 0)).toBe(0);
    expect(backoffMs(0, () => 0.999)).toBe(Math.floor(0.999 * BACKOFF_BASE_MS));
    expect(backoffMs(2, () => 0.5)).toBe(2 * BACKOFF_BASE_MS);
    expect(backoffMs(20, () => 0.5)).toBe(BACKOFF_CAP_MS / 2);
  });

  it('retries only what may succeed, within the retries and the time left', () => {
    const budget = { maxRetries: 2, remainingMs: 10_000, random: () => 0.5 };
    expect(retryDelay({ kind: 'server' }, 0, budget)).toBe(BACKOFF_BASE_MS / 2);
    expect(retryDelay({ kind: 'connection', connectTimeout: true }, 1, budget)).toBe(BACKOFF_BASE_MS);
    expect(retryDelay({ kind: 'server' }, 2, budget)).toBeNull();
    expect(retryDelay({ kind: 'rejected' }, 0, budget)).toBeNull();
    expect(retryDelay({ kind: 'unusable' }, 0, budget)).toBeNull();
    expect(retryDelay({ kind: 'rate-limited', retryAfterMs: 4_000 }, 0, budget)).toBe(4_000);
    // A wait that would end after the deadline is not waited: give up at once.
    expect(retryDelay({ kind: 'rate-limited', retryAfterMs: 10_000 }, 0, budget)).toBeNull();
    expect(retryDelay({ kind: 'server' }, 0, { ...budget, remainingMs: 50 })).toBeNull();
  });
});

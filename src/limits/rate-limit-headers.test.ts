import { describe, expect, it } from 'vitest';
import { LimitExceededError } from './limit-exceeded-error.ts';
import { formatPolicy, policyFor, policyName } from './policy.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';

const NOW = Date.UTC(2024, 1, 10, 12, 0, 23);

describe('RateLimit-Policy items', () => {
  it('follow draft-11: quoted name, q, optional qu and w', () => {
    expect(policyFor('rate', 'tenant', 100, NOW)).toBe('"tenant-rpm";q=100;w=60');
    expect(policyFor('concurrency', 'key', 4, NOW)).toBe('"key-concurrency";q=4;qu="concurrent-requests"');
    expect(policyFor('tokens-per-minute', 'tenant', 100_000, NOW)).toBe(
      '"tenant-tpm";q=100000;w=60;enclave-unit="tokens"',
    );
    expect(policyFor('quota-day', 'key', 5, NOW)).toBe('"key-tokens-day";q=5;w=86400;enclave-unit="tokens"');
    // February 2024 has 29 days.
    expect(policyFor('quota-month', 'tenant', 7, NOW)).toBe(
      '"tenant-tokens-month";q=7;w=2505600;enclave-unit="tokens"',
    );
  });

  it('escape names and refuse invalid numbers', () => {
    const policy = formatPolicy({ name: 'a"b\\c', quota: 1, windowSeconds: null, unit: 'requests' });
    expect(policy).toBe('"a\\"b\\\\c";q=1');
    expect(policyName(policy)).toBe('a"b\\c');
    expect(policyName('100;w=60')).toBeNull();
    expect(() => formatPolicy({ name: 'x', quota: -1, windowSeconds: 60, unit: 'requests' })).toThrow(RangeError);
    expect(() => formatPolicy({ name: 'x', quota: 1.5, windowSeconds: 60, unit: 'requests' })).toThrow(RangeError);
    expect(() => formatPolicy({ name: 'x', quota: 1, windowSeconds: 0, unit: 'requests' })).toThrow(RangeError);
    expect(() => formatPolicy({ name: 'é', quota: 1, windowSeconds: 60, unit: 'requests' })).toThrow(TypeError);
  });
});

describe('rateLimitHeaders', () => {
  it('a refusal gets RateLimit-Policy, RateLimit and Retry-After', () => {
    const error = new LimitExceededError({
      kind: 'rate',
      level: 'tenant',
      limit: 100,
      remaining: 0,
      resetAt: NOW + 37_000,
      policy: policyFor('rate', 'tenant', 100, NOW),
      now: NOW,
    });
    expect(error.retryAfterSeconds).toBe(37);
    expect(error.message).toBe('Tenant request rate limit exceeded (limit 100)');
    expect(rateLimitHeaders(error, NOW)).toEqual({
      'RateLimit-Policy': '"tenant-rpm";q=100;w=60',
      RateLimit: '"tenant-rpm";r=0;t=37',
      'Retry-After': '37',
    });
  });

  it('rounds partial seconds up, and Retry-After is at least 1', () => {
    const error = new LimitExceededError({
      kind: 'tokens-per-minute',
      level: 'key',
      limit: 10,
      remaining: 0,
      resetAt: NOW + 36_001,
      policy: policyFor('tokens-per-minute', 'key', 10, NOW),
      now: NOW,
    });
    expect(rateLimitHeaders(error, NOW)).toMatchObject({ RateLimit: '"key-tpm";r=0;t=37', 'Retry-After': '37' });
    expect(rateLimitHeaders(error, NOW + 36_001)).toMatchObject({ RateLimit: '"key-tpm";r=0;t=0', 'Retry-After': '1' });
    expect(rateLimitHeaders(error, NOW + 99_000)['Retry-After']).toBe('1');
  });

  it('a response that was not refused gets no Retry-After, and remaining is a non-negative integer', () => {
    const policy = policyFor('quota-day', 'tenant', 1000, NOW);
    expect(rateLimitHeaders({ limit: 1000, remaining: 250.7, resetAt: NOW + 3_600_000, policy }, NOW)).toEqual({
      'RateLimit-Policy': '"tenant-tokens-day";q=1000;w=86400;enclave-unit="tokens"',
      RateLimit: '"tenant-tokens-day";r=250;t=3600',
    });
    expect(rateLimitHeaders({ limit: 10, remaining: -5, resetAt: NOW, policy }, NOW).RateLimit).toBe(
      '"tenant-tokens-day";r=0;t=0',
    );
  });

  it('refuses a policy without a quoted name (the draft-07 form)', () => {
    expect(() => rateLimitHeaders({ limit: 100, remaining: 0, resetAt: NOW, policy: '100;w=60' }, NOW)).toThrow(
      TypeError,
    );
  });
});

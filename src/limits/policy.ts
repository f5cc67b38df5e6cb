import { utcMonth } from './calendar.ts';

/** What was limited. `rate` (requests per minute) is enforced by the HTTP layer; the limiter does the rest. */
export type LimitKind = 'rate' | 'concurrency' | 'tokens-per-minute' | 'quota-day' | 'quota-month';

/** Whose limit: the tenant's, or the API key's within the tenant. */
export type LimitLevel = 'tenant' | 'key' | 'agent';

/**
 * Quota units. `requests` (the draft's default, so not written) and `concurrent-requests` are
 * registered by the draft; tokens are not, so they are named by the vendor parameter
 * `enclave-unit="tokens"` (the draft asks for prefixed names for service-specific parameters).
 */
export type QuotaUnit = 'requests' | 'concurrent-requests' | 'tokens';

export interface PolicyDescription {
  /** The policy identifier: printable ASCII. */
  name: string;
  /** The quota (`q`), a non-negative integer. */
  quota: number;
  /** The time window in seconds (`w`), a positive integer; omitted when null. */
  windowSeconds: number | null;
  unit: QuotaUnit;
}

/**
 * One Quota Policy Item of the `RateLimit-Policy` field (draft-ietf-httpapi-ratelimit-headers-11,
 * section 3): a Structured Fields String naming the policy, then `q`, optional `qu`, optional `w`.
 * Example: `"tenant-tpm";q=100000;w=60;enclave-unit="tokens"`.
 */
export function formatPolicy(description: PolicyDescription): string {
  const { name, quota, windowSeconds, unit } = description;
  if (!/^[\x20-\x7e]*$/.test(name)) throw new TypeError(`Policy name must be printable ASCII: ${JSON.stringify(name)}`);
  if (!Number.isSafeInteger(quota) || quota < 0) {
    throw new RangeError(`quota must be a non-negative integer, got ${quota}`);
  }
  let item = `${sfString(name)};q=${quota}`;
  if (unit === 'concurrent-requests') item += ';qu="concurrent-requests"';
  if (windowSeconds !== null) {
    if (!Number.isSafeInteger(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
    }
    item += `;w=${windowSeconds}`;
  }
  if (unit === 'tokens') item += ';enclave-unit="tokens"';
  return item;
}

/** A Structured Fields String: `name` in double quotes, with `\\` and `"` escaped. */
export function sfString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The policy identifier at the start of a Quota Policy Item, or null when it does not start with one. */
export function policyName(policy: string): string | null {
  const match = /^"((?:[^"\\]|\\["\\])*)"/.exec(policy);
  return match?.[1] === undefined ? null : match[1].replaceAll(/\\(["\\])/g, '$1');
}

const SUFFIXES: Record<LimitKind, string> = {
  rate: 'rpm',
  concurrency: 'concurrency',
  'tokens-per-minute': 'tpm',
  'quota-day': 'tokens-day',
  'quota-month': 'tokens-month',
};

/**
 * The policy item for one of Enclave's limits, named `{level}-{rpm|concurrency|tpm|tokens-day|tokens-month}`.
 * Day windows are 86400 s; a month window is the length of the UTC month containing `now`.
 *
 * The HTTP layer can use `policyFor('rate', level, limit, now)` for its requests-per-minute headers
 * so all RateLimit fields look alike.
 */
export function policyFor(kind: LimitKind, level: LimitLevel, limit: number, now: number): string {
  const name = `${level}-${SUFFIXES[kind]}`;
  switch (kind) {
    case 'rate':
      return formatPolicy({ name, quota: limit, windowSeconds: 60, unit: 'requests' });
    case 'concurrency':
      return formatPolicy({ name, quota: limit, windowSeconds: null, unit: 'concurrent-requests' });
    case 'tokens-per-minute':
      return formatPolicy({ name, quota: limit, windowSeconds: 60, unit: 'tokens' });
    case 'quota-day':
      return formatPolicy({ name, quota: limit, windowSeconds: 86_400, unit: 'tokens' });
    case 'quota-month': {
      const month = utcMonth(now);
      return formatPolicy({
        name,
        quota: limit,
        windowSeconds: (month.resetAt - month.startsAt) / 1000,
        unit: 'tokens',
      });
    }
  }
}

/** Whole seconds from `now` until `resetAt`, rounded up, never negative. */
export function secondsUntil(resetAt: number, now: number): number {
  return Math.max(0, Math.ceil((resetAt - now) / 1000));
}

import { UsageError } from './usage-error.ts';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})(?:T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

/** True for a real calendar day `YYYY-MM-DD` (rejects 2027-02-30, which `Date.parse` rolls over). */
export function isDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

/** `--from` / `--to`: a UTC day `YYYY-MM-DD`, or `fallback` when absent. */
export function parseDay(option: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!isDay(value)) throw new UsageError(`--${option} must be a date YYYY-MM-DD`);
  return value;
}

/** The UTC day `offsetDays` from `now`, as `YYYY-MM-DD`. */
export function utcDay(now: Date, offsetDays = 0): string {
  return new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/**
 * `--expires`: an ISO 8601 date (`2027-01-01`, midnight UTC) or date-time with a zone
 * (`2027-01-01T00:00:00Z`, `…+02:00`) in the future. Returns it normalised to UTC ISO, or null when absent.
 */
export function parseExpiry(value: string | undefined, now: Date): string | null {
  if (value === undefined) return null;
  const match = TIMESTAMP.exec(value);
  if (!match || !isDay(match[1] ?? '')) {
    throw new UsageError('--expires must be an ISO 8601 date or date-time with a zone, e.g. 2027-01-01T00:00:00Z');
  }
  const at = new Date(value);
  if (at.getTime() <= now.getTime()) throw new UsageError(`--expires must be in the future (got ${at.toISOString()})`);
  return at.toISOString();
}

import { UsageError } from './usage-error.ts';

/** `--limit N`: a whole number from 1 to `max`, or `fallback` when absent. */
export function parseLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > max)
    throw new UsageError(`--limit must be a whole number from 1 to ${max}`);
  return limit;
}

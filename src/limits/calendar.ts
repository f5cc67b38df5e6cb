/** A UTC calendar period: its name (used in store keys), when it started and when it resets. */
export interface CalendarPeriod {
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month. */
  period: string;
  startsAt: number;
  resetAt: number;
}

/** The UTC calendar day containing `now`; it resets at the next UTC midnight. */
export function utcDay(now: number): CalendarPeriod {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = date.getUTCDate();
  return {
    period: `${pad(year, 4)}-${pad(month + 1, 2)}-${pad(day, 2)}`,
    startsAt: Date.UTC(year, month, day),
    // Date.UTC carries day 32 into the next month and month 12 into the next year.
    resetAt: Date.UTC(year, month, day + 1),
  };
}

/** The UTC calendar month containing `now`; it resets at 00:00 UTC on the first of the next month. */
export function utcMonth(now: number): CalendarPeriod {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  return {
    period: `${pad(year, 4)}-${pad(month + 1, 2)}`,
    startsAt: Date.UTC(year, month, 1),
    resetAt: Date.UTC(year, month + 1, 1),
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

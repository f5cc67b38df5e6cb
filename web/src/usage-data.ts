/** A row of `GET /v1/usage` (grouped server-side: only the grouped fields are set). */
export interface UsageAggregate {
  day: string | null;
  month?: string | null;
  model: string | null;
  agent?: string | null;
  key_id?: string | null;
  user_id?: string | null;
  /** Operator aggregates (`GET /v1/admin/usage`) grouped by tenant. */
  tenant_id?: string | null;
  turns: number;
  latency_ms_avg?: number | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  tool_calls: number;
}

/** What usage is broken down by. */
export type Dimension = 'agent' | 'model' | 'key' | 'user';

const FIELD = { agent: 'agent', model: 'model', key: 'key_id', user: 'user_id' } as const;

export function groupLabelOf(dimension: Dimension): (row: UsageAggregate) => string {
  const field = FIELD[dimension];
  const none = dimension === 'key' ? 'no key (JWT)' : dimension === 'user' ? 'no end user' : '—';
  return (row) => String(row[field] ?? none);
}

export type Metric = 'tokens' | 'turns' | 'latency';
export type Period = 'day' | 'month';

/** One point per (bucket, group): sums, and the latency sum with its count for an average. */
export interface Point {
  bucket: string;
  group: string;
  tokens: number;
  turns: number;
  latencySum: number;
  latencyCount: number;
}

export const bucketOf = (day: string, period: Period) => (period === 'month' ? day.slice(0, 7) : day.slice(0, 10));

/**
 * Points from server aggregates (`group_by=day,…` or `month,…`). Rows of one bucket and group are
 * merged, the latency weighted by turns, so a day-grouped answer may also be shown by month.
 */
export function fromAggregates(
  rows: UsageAggregate[],
  groupOf: (row: UsageAggregate) => string,
  period: Period,
): Point[] {
  const points = new Map<string, Point>();
  for (const row of rows) {
    const bucket = row.month ?? bucketOf(row.day ?? '', period);
    const group = groupOf(row);
    const key = `${bucket}\u0000${group}`;
    const point = points.get(key) ?? { bucket, group, tokens: 0, turns: 0, latencySum: 0, latencyCount: 0 };
    point.tokens += row.total_tokens;
    point.turns += row.turns;
    if (row.latency_ms_avg !== null && row.latency_ms_avg !== undefined) {
      point.latencySum += row.latency_ms_avg * row.turns;
      point.latencyCount += row.turns;
    }
    points.set(key, point);
  }
  return [...points.values()];
}

export interface Total {
  group: string;
  tokens: number;
  turns: number;
  latency: number;
}

/** Totals per group from rows the server grouped by that dimension alone (exact averages). */
export function totalsOf(rows: UsageAggregate[], groupOf: (row: UsageAggregate) => string): Total[] {
  return rows
    .map((row) => ({
      group: groupOf(row),
      tokens: row.total_tokens,
      turns: row.turns,
      latency: row.latency_ms_avg ?? 0,
    }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}

export function metricValue(point: Point, metric: Metric): number {
  if (metric === 'tokens') return point.tokens;
  if (metric === 'turns') return point.turns;
  return point.latencyCount ? Math.round(point.latencySum / point.latencyCount) : 0;
}

/** Every bucket between from and to (inclusive), so that quiet days show as zero. */
export function bucketsBetween(from: string, to: string, period: Period): string[] {
  const out: string[] = [];
  const date = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (date <= end) {
    const bucket = bucketOf(date.toISOString(), period);
    if (out.at(-1) !== bucket) out.push(bucket);
    date.setUTCDate(date.getUTCDate() + 1);
  }
  return out;
}

export interface Series {
  buckets: string[];
  groups: string[];
  values: number[][];
  totals: Total[];
}

export function toSeries(points: Point[], buckets: string[], metric: Metric): Series {
  const groups = [...new Set(points.map((point) => point.group))].sort();
  const index = new Map(points.map((point) => [`${point.bucket}\u0000${point.group}`, point]));
  const values = groups.map((group) =>
    buckets.map((bucket) => {
      const point = index.get(`${bucket}\u0000${group}`);
      return point ? metricValue(point, metric) : 0;
    }),
  );
  const totals = groups.map((group) => {
    const mine = points.filter((point) => point.group === group);
    const latencyCount = mine.reduce((sum, point) => sum + point.latencyCount, 0);
    return {
      group,
      tokens: mine.reduce((sum, point) => sum + point.tokens, 0),
      turns: mine.reduce((sum, point) => sum + point.turns, 0),
      latency: latencyCount ? Math.round(mine.reduce((sum, point) => sum + point.latencySum, 0) / latencyCount) : 0,
    };
  });
  return { buckets, groups, values, totals };
}

export function isoDay(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** The range a view shows: the last 30 days, or the last 12 months (from the 1st). */
export function rangeOf(period: Period): { from: string; to: string } {
  return { from: period === 'day' ? isoDay(-29) : `${isoDay(-334).slice(0, 7)}-01`, to: isoDay() };
}

import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { UsageChart } from '../chart.tsx';
import { Empty, ErrorBox, formatNumber, Loading, PageHeader, TableWrap } from '../components.tsx';
import { useQuery } from '../query.ts';
import {
  bucketsBetween,
  type Dimension,
  fromAggregates,
  groupLabelOf,
  type Metric,
  type Period,
  type Point,
  rangeOf,
  type Total,
  toSeries,
  totalsOf,
  type UsageAggregate,
} from '../usage-data.ts';

/**
 * Points and totals for a dimension, both grouped by the server (`GET /v1/usage`): one call by
 * period and dimension for the chart, one by the dimension alone for exact totals and averages,
 * so the page is right whatever the number of records.
 */
async function loadPoints(
  prefix: string,
  dimension: Dimension,
  period: Period,
  from: string,
  to: string,
  signal: AbortSignal,
) {
  const groupOf = groupLabelOf(dimension);
  const [series, totals] = await Promise.all([
    api<{ data: UsageAggregate[] }>(`${prefix}/usage${qs({ from, to, group_by: `${period},${dimension}` })}`, {
      signal,
    }),
    api<{ data: UsageAggregate[] }>(`${prefix}/usage${qs({ from, to, group_by: dimension })}`, { signal }),
  ]);
  return { points: fromAggregates(series.data, groupOf, period), totals: totalsOf(totals.data, groupOf) };
}

export function UsageView({ prefix, dimensions, title }: { prefix: string; dimensions: Dimension[]; title: string }) {
  const [dimension, setDimension] = useState<Dimension>(dimensions[0] ?? 'agent');
  const [metric, setMetric] = useState<Metric>('turns');
  const [period, setPeriod] = useState<Period>('day');
  const { from, to } = rangeOf(period);
  // The metric only changes what is drawn: switching it asks the server nothing.
  const data = useQuery(`${prefix}:${dimension}:${period}:${from}`, (signal) =>
    loadPoints(prefix, dimension, period, from, to, signal),
  );
  return (
    <UsageResult
      title={title}
      controls={
        <fieldset class="inline-form plain">
          <legend class="visually-hidden">Usage view</legend>
          <label for="usage-dimension">Per</label>
          <select
            id="usage-dimension"
            value={dimension}
            onChange={(event) => setDimension(event.currentTarget.value as Dimension)}
          >
            {dimensions.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </select>
          <MetricSelect metric={metric} onChange={setMetric} metrics={['turns', 'tokens', 'latency']} />
          <PeriodSelect period={period} onChange={setPeriod} />
        </fieldset>
      }
      loading={data.loading && !data.data}
      error={data.error}
      points={data.data?.points}
      totals={data.data?.totals}
      buckets={bucketsBetween(from, to, period)}
      metric={metric}
      groupLabel={dimension}
    />
  );
}

const METRIC_LABELS: Record<Metric, string> = {
  turns: 'turns',
  tokens: 'tokens',
  latency: 'latency (ms, average)',
};

export function MetricSelect<M extends Metric>({
  metric,
  metrics,
  onChange,
}: {
  metric: M;
  metrics: readonly M[];
  onChange: (metric: M) => void;
}) {
  return (
    <>
      <label for="usage-metric">Metric</label>
      <select id="usage-metric" value={metric} onChange={(event) => onChange(event.currentTarget.value as M)}>
        {metrics.map((item) => (
          <option key={item} value={item}>
            {METRIC_LABELS[item]}
          </option>
        ))}
      </select>
    </>
  );
}

export function PeriodSelect({ period, onChange }: { period: Period; onChange: (period: Period) => void }) {
  return (
    <>
      <label for="usage-period">View</label>
      <select id="usage-period" value={period} onChange={(event) => onChange(event.currentTarget.value as Period)}>
        <option value="day">day (last 30 days)</option>
        <option value="month">month (last 12 months)</option>
      </select>
    </>
  );
}

export function UsageResult(props: {
  title: string;
  controls: preact.ComponentChildren;
  loading: boolean;
  error: import('../api.ts').ApiError | null;
  points: Point[] | undefined;
  /** Exact totals from the server; without them, the sums of the points. */
  totals?: Total[] | undefined;
  buckets: string[];
  metric: Metric;
  groupLabel: string;
}) {
  const series = props.points ? toSeries(props.points, props.buckets, props.metric) : null;
  const totals = props.totals ?? series?.totals ?? [];
  return (
    <>
      <PageHeader title={props.title} />
      {props.controls}
      <ErrorBox error={props.error} />
      {props.loading && <Loading />}
      {series && series.groups.length === 0 && <Empty>No usage in this period.</Empty>}
      {series && series.groups.length > 0 && (
        <>
          <UsageChart series={series} label={`${props.metric} per ${props.groupLabel} over time`} />
          <TableWrap label="Usage totals">
            <table>
              <thead>
                <tr>
                  <th scope="col">{props.groupLabel}</th>
                  <th scope="col">Turns</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Average latency (ms)</th>
                </tr>
              </thead>
              <tbody>
                {totals.map((total) => (
                  <tr key={total.group} data-group={total.group}>
                    <td>{total.group}</td>
                    <td class="num" data-metric="turns">
                      {formatNumber(total.turns)}
                    </td>
                    <td class="num">{formatNumber(total.tokens)}</td>
                    <td class="num">{total.latency ? formatNumber(total.latency) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      )}
    </>
  );
}

export function UsagePage() {
  return <UsageView prefix="/v1" dimensions={['agent', 'model', 'key', 'user']} title="Usage" />;
}

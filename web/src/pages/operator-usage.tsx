import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { useQuery } from '../query.ts';
import {
  bucketsBetween,
  fromAggregates,
  type Metric,
  type Period,
  rangeOf,
  type UsageAggregate,
} from '../usage-data.ts';
import { MetricSelect, PeriodSelect, UsageResult } from './usage.tsx';

/** Usage across tenants: one series per tenant, summed by the server (`GET /v1/admin/usage`). */
export function OperatorUsagePage() {
  const [metric, setMetric] = useState<Exclude<Metric, 'latency'>>('turns');
  const [period, setPeriod] = useState<Period>('day');
  const { from, to } = rangeOf(period);
  // One request, summed by the server across every tenant (no per-tenant fan-out, no tenant cap).
  const data = useQuery(`operator-usage:${period}`, async (signal) => {
    const rows = await api<{ data: UsageAggregate[] }>(
      `/v1/admin/usage${qs({ from, to, group_by: `${period},tenant` })}`,
      { signal },
    );
    return fromAggregates(rows.data, (row) => String(row.tenant_id ?? '—'), period);
  });
  return (
    <UsageResult
      title="Usage across tenants"
      controls={
        <fieldset class="inline-form plain">
          <legend class="visually-hidden">Usage view</legend>
          <MetricSelect metric={metric} onChange={setMetric} metrics={['turns', 'tokens']} />
          <PeriodSelect period={period} onChange={setPeriod} />
        </fieldset>
      }
      loading={data.loading && !data.data}
      error={data.error}
      points={data.data}
      buckets={bucketsBetween(from, to, period)}
      metric={metric}
      groupLabel="tenant"
    />
  );
}

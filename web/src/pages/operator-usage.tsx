import { useState } from 'preact/hooks';
import { api, qs } from '../api.ts';
import { useQuery } from '../query.ts';
import {
  bucketsBetween,
  fromAggregates,
  isoDay,
  type Metric,
  type Period,
  type UsageAggregate,
} from '../usage-data.ts';
import { UsageResult } from './usage.tsx';

/** Usage across tenants: one series per tenant, from `GET /v1/admin/usage`. */
export function OperatorUsagePage() {
  const [metric, setMetric] = useState<Exclude<Metric, 'latency'>>('turns');
  const [period, setPeriod] = useState<Period>('day');
  const to = isoDay();
  const from = period === 'day' ? isoDay(-29) : `${isoDay(-334).slice(0, 7)}-01`;
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
          <label for="usage-metric">Metric</label>
          <select
            id="usage-metric"
            value={metric}
            onChange={(event) => setMetric(event.currentTarget.value as 'turns' | 'tokens')}
          >
            <option value="turns">turns</option>
            <option value="tokens">tokens</option>
          </select>
          <label for="usage-period">View</label>
          <select id="usage-period" value={period} onChange={(event) => setPeriod(event.currentTarget.value as Period)}>
            <option value="day">day (last 30 days)</option>
            <option value="month">month (last 12 months)</option>
          </select>
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

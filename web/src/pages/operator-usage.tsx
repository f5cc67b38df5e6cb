import { useState } from 'preact/hooks';
import { api, enc, type Page, qs } from '../api.ts';
import { useQuery } from '../query.ts';
import {
  bucketsBetween,
  fromAggregates,
  isoDay,
  type Metric,
  type Period,
  type UsageAggregate,
} from '../usage-data.ts';
import type { Tenant } from './tenants.tsx';
import { UsageResult } from './usage.tsx';

async function allTenants(signal: AbortSignal): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Tenant> = await api<Page<Tenant>>(`/v1/admin/tenants${qs({ limit: 100, cursor })}`, { signal });
    tenants.push(...page.data);
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor && tenants.length < 500);
  return tenants;
}

/** Usage across tenants: each tenant's aggregates by day or month (grouped by the server), one series per tenant. */
export function OperatorUsagePage() {
  const [metric, setMetric] = useState<Exclude<Metric, 'latency'>>('turns');
  const [period, setPeriod] = useState<Period>('day');
  const to = isoDay();
  const from = period === 'day' ? isoDay(-29) : `${isoDay(-334).slice(0, 7)}-01`;
  const data = useQuery(`operator-usage:${period}`, async (signal) => {
    const tenants = await allTenants(signal);
    const perTenant = await Promise.all(
      tenants.map(async (tenant) => {
        const rows = await api<{ data: UsageAggregate[] }>(
          `/v1/admin/tenants/${enc(tenant.id)}/usage${qs({ from, to, group_by: period })}`,
          { signal },
        );
        return fromAggregates(rows.data, () => tenant.id, period);
      }),
    );
    return perTenant.flat();
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

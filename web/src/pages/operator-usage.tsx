import { useState } from 'preact/hooks';
import { api, enc, type Page, qs } from '../api.ts';
import { useQuery } from '../query.ts';
import {
  bucketsBetween,
  fromAggregates,
  type Metric,
  type Period,
  rangeOf,
  type UsageAggregate,
} from '../usage-data.ts';
import type { Tenant } from './tenants.tsx';
import { MetricSelect, PeriodSelect, UsageResult } from './usage.tsx';

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
  const { from, to } = rangeOf(period);
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

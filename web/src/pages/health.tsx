import { api } from '../api.ts';
import { Empty, ErrorBox, formatNumber, Loading, PageHeader, Section, TableWrap } from '../components.tsx';
import { useQuery } from '../query.ts';

interface ProviderHealth {
  circuits: { provider: string; state: 'closed' | 'half-open' | 'open' }[];
  calls: { provider: string; completed: number; failed: number; error_rate: number }[];
}

interface ProviderRow {
  provider: string;
  circuit: string;
  calls: number;
  errors: number;
  errorRate: number | null;
}

/** One row per provider: its circuit (per endpoint id) or its calls (per provider kind), or both. */
function mergeHealth(health: ProviderHealth): ProviderRow[] {
  const rows = new Map<string, ProviderRow>();
  const row = (provider: string) => {
    const existing = rows.get(provider) ?? { provider, circuit: 'unknown', calls: 0, errors: 0, errorRate: null };
    rows.set(provider, existing);
    return existing;
  };
  for (const circuit of health.circuits) row(circuit.provider).circuit = circuit.state;
  for (const call of health.calls) {
    const entry = row(call.provider);
    entry.calls = call.completed + call.failed;
    entry.errors = call.failed;
    entry.errorRate = entry.calls ? call.error_rate : null;
  }
  return [...rows.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}

export function HealthPage() {
  const ready = useQuery('readyz', async (signal) => {
    const response = await fetch('/readyz', {
      signal,
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
    });
    const body = (await response.json().catch(() => ({}))) as { status?: string; detail?: string; code?: string };
    return { ok: response.ok, status: response.status, body };
  });
  const metrics = useQuery('provider-health', (signal) =>
    api<ProviderHealth>('/v1/admin/providers/health', { signal }),
  );
  const providers = metrics.data ? mergeHealth(metrics.data) : [];
  return (
    <>
      <PageHeader title="Health">
        <button
          type="button"
          onClick={() => {
            ready.reload();
            metrics.reload();
          }}
        >
          Refresh
        </button>
      </PageHeader>
      <Section id="readiness" title="Readiness">
        {ready.loading && !ready.data && <Loading />}
        <ErrorBox error={ready.error} />
        {ready.data && (
          <p>
            <span class={`badge ${ready.data.ok ? 'active' : 'suspended'}`} data-testid="readiness">
              {ready.data.ok ? 'ready' : 'not ready'}
            </span>{' '}
            <code>GET /readyz</code> answered {ready.data.status}
            {ready.data.body.code ? ` (${ready.data.body.code}: ${ready.data.body.detail ?? ''})` : ''}
          </p>
        )}
      </Section>
      <Section id="providers" title="Providers">
        <p class="muted">Circuit breakers and model-call outcomes in the process that answered.</p>
        {metrics.loading && !metrics.data && <Loading />}
        <ErrorBox error={metrics.error} />
        {metrics.data && providers.length === 0 && <Empty>No provider has been called yet.</Empty>}
        {providers.length > 0 && (
          <TableWrap label="Providers">
            <table>
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Circuit</th>
                  <th scope="col">Model calls</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Error rate</th>
                </tr>
              </thead>
              <tbody>
                {providers.map((provider) => (
                  <tr key={provider.provider}>
                    <td>{provider.provider}</td>
                    <td>
                      <span class={`badge circuit-${provider.circuit}`}>{provider.circuit}</span>
                    </td>
                    <td class="num">{formatNumber(provider.calls)}</td>
                    <td class="num">{formatNumber(provider.errors)}</td>
                    <td class="num">
                      {provider.errorRate === null ? '—' : `${(provider.errorRate * 100).toFixed(1)} %`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
    </>
  );
}

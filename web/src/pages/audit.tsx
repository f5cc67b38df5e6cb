import { useState } from 'preact/hooks';
import { api, enc, type Page } from '../api.ts';
import { formatDate, ListState, MoreButton, PageHeader, TableWrap } from '../components.tsx';
import { usePaged, useQuery } from '../query.ts';
import type { Tenant } from './tenants.tsx';

interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

const fetchAudit = (url: string, signal: AbortSignal) => api<Page<AuditEntry>>(url, { signal });

/** An audit log, newest first: the tenant's own (`/v1/audit`) or any tenant's for an operator. */
export function AuditList({ path }: { path: string }) {
  const entries = usePaged(`${path}?limit=50`, fetchAudit);
  return (
    <>
      <ListState error={entries.error} loading={entries.loading} items={entries.data} empty="No audit entries." />
      {entries.data && entries.data.length > 0 && (
        <TableWrap label="Audit entries">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.data.map((entry) => (
                <tr key={entry.id}>
                  <td>{formatDate(entry.created_at)}</td>
                  <td>{entry.actor}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>{entry.target}</td>
                  <td>
                    <code class="small">{JSON.stringify(entry.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <MoreButton hasMore={entries.hasMore} onMore={entries.more} />
    </>
  );
}

export function AuditPage() {
  const tenants = useQuery('audit-tenants', (signal) => api<Page<Tenant>>('/v1/admin/tenants?limit=100', { signal }));
  const [tenant, setTenant] = useState('');
  const chosen = tenant || tenants.data?.data[0]?.id || '';
  return (
    <>
      <PageHeader title="Audit log" />
      <ListState error={tenants.error} loading={tenants.loading} items={tenants.data?.data} empty="No tenants yet." />
      {chosen && (
        <>
          <div class="inline-form">
            <label for="audit-tenant">Tenant</label>
            <select id="audit-tenant" value={chosen} onChange={(event) => setTenant(event.currentTarget.value)}>
              {(tenants.data?.data ?? []).map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name || item.id}
                </option>
              ))}
            </select>
          </div>
          <AuditList key={chosen} path={`/v1/admin/tenants/${enc(chosen)}/audit`} />
        </>
      )}
    </>
  );
}

export function TenantAuditPage() {
  return (
    <>
      <PageHeader title="Audit log" />
      <p class="muted">What was done to this tenant (keys, config, agents, secrets), by whom, newest first.</p>
      <AuditList path="/v1/audit" />
    </>
  );
}

import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, enc, type Page } from '../api.ts';
import { ErrorBox, formatDate, ListState, MoreButton, PageHeader, Section, TableWrap } from '../components.tsx';
import { useMutation, usePaged } from '../query.ts';

export interface Tenant {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  config_version: number;
  created_at: string;
  updated_at: string;
}

export const fetchTenants = (url: string, signal: AbortSignal) => api<Page<Tenant>>(url, { signal });

export function TenantsPage() {
  const { route } = useLocation();
  const tenants = usePaged('/v1/admin/tenants?limit=100', fetchTenants);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const create = useMutation(() =>
    api<Tenant>('/v1/admin/tenants', {
      method: 'POST',
      body: { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) },
    }),
  );
  return (
    <>
      <PageHeader title="Tenants" />
      <Section id="create-tenant" title="Create a tenant">
        <form
          class="grid-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const tenant = await create.run();
            if (tenant) route(`/console/tenants/${enc(tenant.id)}`);
          }}
        >
          <label for="tenant-id">Id</label>
          <input
            id="tenant-id"
            required
            value={id}
            onInput={(event) => setId(event.currentTarget.value)}
            placeholder="acme"
          />
          <label for="tenant-name">Name (optional)</label>
          <input id="tenant-name" value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={create.pending}>
              Create tenant
            </button>
          </div>
        </form>
        <ErrorBox error={create.error} />
      </Section>
      <Section id="tenant-list" title="All tenants">
        <ListState error={tenants.error} loading={tenants.loading} items={tenants.data} empty="No tenants yet." />
        {tenants.data && tenants.data.length > 0 && (
          <TableWrap label="Tenants">
            <table>
              <thead>
                <tr>
                  <th scope="col">Tenant</th>
                  <th scope="col">Status</th>
                  <th scope="col">Config version</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.map((tenant) => (
                  <tr key={tenant.id} data-tenant={tenant.id}>
                    <td>
                      <a href={`/console/tenants/${enc(tenant.id)}`}>{tenant.name || tenant.id}</a>
                      <div class="muted small">{tenant.id}</div>
                    </td>
                    <td>
                      <span class={`badge ${tenant.status}`}>{tenant.status}</span>
                    </td>
                    <td>{tenant.config_version}</td>
                    <td>{formatDate(tenant.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <MoreButton hasMore={tenants.hasMore} onMore={tenants.more} />
      </Section>
    </>
  );
}

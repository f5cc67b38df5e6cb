import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, enc } from '../api.ts';
import {
  ConfirmButton,
  CopyButton,
  ErrorBox,
  formatDate,
  Loading,
  NotFound,
  PageHeader,
  Section,
} from '../components.tsx';
import { useMutation, useQuery } from '../query.ts';
import { AuditList } from './audit.tsx';
import type { Tenant } from './tenants.tsx';

const LIMITS = [
  ['requestsPerMinute', 'Requests per minute'],
  ['concurrentTurns', 'Concurrent turns'],
  ['tokensPerMinute', 'Tokens per minute'],
  ['tokensPerDay', 'Tokens per day'],
  ['tokensPerMonth', 'Tokens per month'],
] as const;

interface TenantConfig {
  version: number;
  config: { limits?: Record<string, number | null> | null; allowedModels?: string[] | null; maxAgents?: number };
}

export function TenantDetailPage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = params.id ?? '';
  const base = `/v1/admin/tenants/${enc(id)}`;
  const tenant = useQuery(`tenant:${id}`, (signal) => api<Tenant>(base, { signal }));
  const config = useQuery(tenant.data ? `tenant-config:${id}` : null, (signal) =>
    api<TenantConfig>(`${base}/config`, { signal }),
  );
  const [limits, setLimits] = useState<Record<string, string>>({});
  const [models, setModels] = useState('');
  const [saved, setSaved] = useState('');
  const [newKey, setNewKey] = useState<string | null>(null);

  useEffect(() => {
    const current = config.data?.config;
    if (!current) return;
    setLimits(Object.fromEntries(LIMITS.map(([field]) => [field, current.limits?.[field]?.toString() ?? ''])));
    setModels((current.allowedModels ?? []).join(', '));
  }, [config.data]);

  const action = useMutation(async (verb: 'suspend' | 'resume') => {
    await api(`${base}/${verb}`, { method: 'POST' });
    return true;
  });
  const remove = useMutation(async () => {
    await api(base, { method: 'DELETE' });
    return true;
  });
  const save = useMutation(() =>
    api<TenantConfig>(`${base}/config`, {
      method: 'PATCH',
      body: {
        limits: Object.fromEntries(
          LIMITS.map(([field]) => [field, limits[field]?.trim() ? Number(limits[field]) : null]),
        ),
        allowedModels: models.trim()
          ? models
              .split(',')
              .map((model) => model.trim())
              .filter(Boolean)
          : null,
      },
    }),
  );
  const mintKey = useMutation(() =>
    api<{ key: string }>(`${base}/keys`, { method: 'POST', body: { name: 'console-admin-key' } }),
  );

  if (tenant.error?.status === 404) return <NotFound what={`Tenant ${id}`} />;
  if (!tenant.data) return tenant.error ? <ErrorBox error={tenant.error} /> : <Loading />;
  const suspended = tenant.data.status === 'suspended';

  return (
    <>
      <PageHeader title={`Tenant ${tenant.data.name || id}`}>
        <button
          type="button"
          onClick={async () => {
            if (await action.run(suspended ? 'resume' : 'suspend')) tenant.reload();
          }}
        >
          {suspended ? 'Resume' : 'Suspend'}
        </button>
        <ConfirmButton
          label="Delete tenant"
          question={`Delete tenant ${id} and everything it owns? This cannot be undone.`}
          confirmLabel="Delete for good"
          onConfirm={async () => {
            if (await remove.run()) route('/console/tenants');
          }}
        />
      </PageHeader>
      <ErrorBox error={action.error ?? remove.error} />
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{id}</code>
        </dd>
        <dt>Status</dt>
        <dd>
          <span class={`badge ${tenant.data.status}`} data-testid="tenant-status">
            {tenant.data.status}
          </span>
        </dd>
        <dt>Created</dt>
        <dd>{formatDate(tenant.data.created_at)}</dd>
      </dl>
      <Section id="tenant-limits" title="Limits and allowed models">
        <ErrorBox error={config.error} />
        <form
          class="grid-form"
          onSubmit={async (event) => {
            event.preventDefault();
            setSaved('');
            const updated = await save.run();
            if (updated) {
              setSaved(`Saved as config version ${updated.version}.`);
              config.reload();
            }
          }}
        >
          {LIMITS.map(([field, label]) => (
            <Fragment key={field}>
              <label for={`limit-${field}`}>{label}</label>
              <input
                id={`limit-${field}`}
                type="number"
                min={1}
                placeholder="unlimited"
                value={limits[field] ?? ''}
                onInput={(event) => setLimits({ ...limits, [field]: event.currentTarget.value })}
              />
            </Fragment>
          ))}
          <label for="allowed-models">
            Allowed models (provider:model or provider:*, comma-separated; empty = all)
          </label>
          <input id="allowed-models" value={models} onInput={(event) => setModels(event.currentTarget.value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={save.pending}>
              Save
            </button>
            <span role="status">{saved}</span>
          </div>
        </form>
        <ErrorBox error={save.error} />
      </Section>
      <Section id="tenant-keys" title="Keys">
        <p class="muted">Mint a key for this tenant (all scopes), to hand to its administrator.</p>
        <button
          type="button"
          onClick={async () => {
            const created = await mintKey.run();
            if (created) setNewKey(created.key);
          }}
        >
          Create a key for {id}
        </button>
        <ErrorBox error={mintKey.error} />
        {newKey && (
          <div class="notice" role="status">
            <p>Copy the key now: it is shown only once.</p>
            <div class="inline-form">
              <code class="secret" data-testid="new-key">
                {newKey}
              </code>
              <CopyButton text={newKey} />
            </div>
          </div>
        )}
      </Section>
      <Section id="tenant-audit" title="Audit log">
        <AuditList path={`${base}/audit`} />
      </Section>
    </>
  );
}

import { useState } from 'preact/hooks';
import { api, enc, type Page } from '../api.ts';
import {
  ConfirmButton,
  CopyButton,
  ErrorBox,
  formatDate,
  ListState,
  MoreButton,
  PageHeader,
  Section,
  TableWrap,
} from '../components.tsx';
import { useMutation, usePaged } from '../query.ts';

const SCOPES = ['chat', 'history:read', 'config:write', 'keys:manage'] as const;

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  limits: Record<string, number | null> | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

const fetchKeys = (url: string, signal: AbortSignal) => api<Page<ApiKey>>(url, { signal });
const positive = (text: string) => (text.trim() ? Number(text) : null);

export function KeysPage() {
  const keys = usePaged('/v1/keys?limit=100', fetchKeys);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['chat']);
  const [expires, setExpires] = useState('');
  const [rpm, setRpm] = useState('');
  const [tokensPerDay, setTokensPerDay] = useState('');
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const create = useMutation(() => {
    const limits = { requestsPerMinute: positive(rpm), tokensPerDay: positive(tokensPerDay) };
    return api<ApiKey & { key: string }>('/v1/keys', {
      method: 'POST',
      body: {
        name,
        scopes,
        expires_at: expires ? new Date(expires).toISOString() : null,
        limits: limits.requestsPerMinute || limits.tokensPerDay ? limits : null,
      },
    });
  });
  const revoke = useMutation(async (id: string) => {
    await api(`/v1/keys/${enc(id)}`, { method: 'DELETE' });
    return true;
  });

  return (
    <>
      <PageHeader title="API keys" />
      <Section id="create-key" title="Create a key">
        <form
          class="grid-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const key = await create.run();
            if (key) {
              setCreated(key);
              setName('');
              keys.reload();
            }
          }}
        >
          <label for="key-name">Name</label>
          <input id="key-name" required value={name} onInput={(event) => setName(event.currentTarget.value)} />
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((scope) => (
              <label key={scope} class="check">
                <input
                  type="checkbox"
                  checked={scopes.includes(scope)}
                  onChange={(event) =>
                    setScopes((all) =>
                      event.currentTarget.checked ? [...all, scope] : all.filter((item) => item !== scope),
                    )
                  }
                />{' '}
                {scope}
              </label>
            ))}
          </fieldset>
          <label for="key-expires">Expires (optional)</label>
          <input
            id="key-expires"
            type="datetime-local"
            value={expires}
            onInput={(event) => setExpires(event.currentTarget.value)}
          />
          <label for="key-rpm">Requests per minute (optional)</label>
          <input
            id="key-rpm"
            type="number"
            min={1}
            value={rpm}
            onInput={(event) => setRpm(event.currentTarget.value)}
          />
          <label for="key-tpd">Tokens per day (optional)</label>
          <input
            id="key-tpd"
            type="number"
            min={1}
            value={tokensPerDay}
            onInput={(event) => setTokensPerDay(event.currentTarget.value)}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={create.pending}>
              Create key
            </button>
          </div>
        </form>
        <ErrorBox error={create.error} />
        {created && (
          <div class="notice" role="status">
            <p>
              Key <strong>{created.name}</strong> created. Copy it now: it is shown only once.
            </p>
            <div class="inline-form">
              <code class="secret" data-testid="new-key">
                {created.key}
              </code>
              <CopyButton text={created.key} />
              <button type="button" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          </div>
        )}
      </Section>
      <Section id="key-list" title="Keys">
        <ListState error={keys.error ?? revoke.error} loading={keys.loading} items={keys.data} empty="No keys." />
        {keys.data && keys.data.length > 0 && (
          <TableWrap label="Keys">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.map((key) => (
                  <tr key={key.id} data-key={key.name}>
                    <td>{key.name}</td>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.scopes.join(', ')}</td>
                    <td>{formatDate(key.expires_at)}</td>
                    <td>{formatDate(key.last_used_at)}</td>
                    <td>{key.revoked_at ? `revoked ${formatDate(key.revoked_at)}` : 'active'}</td>
                    <td>
                      {!key.revoked_at && (
                        <ConfirmButton
                          label={`Revoke ${key.name}`}
                          question={`Revoke key ${key.name}? Clients using it stop working at once.`}
                          confirmLabel="Revoke"
                          onConfirm={async () => {
                            if (await revoke.run(key.id)) keys.reload();
                          }}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <MoreButton hasMore={keys.hasMore} onMore={keys.more} />
      </Section>
    </>
  );
}
